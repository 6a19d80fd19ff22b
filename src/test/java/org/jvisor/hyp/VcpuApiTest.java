package org.jvisor.hyp;

import static org.jvisor.hyp.Guest.OFF;
import static org.jvisor.hyp.Guest.RAM;
import static org.jvisor.hyp.Guest.isShutdown;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What a VMM asks of a vCPU besides running it: registers by name, guest debug, the clock (KVM's ONE_REG, SET_GUEST_DEBUG). */
class VcpuApiTest {

    @Test
    void registersByTheirArmArmNames() {
        Guest g = new Guest("""
                add x4, x2, #1
                msr tpidr_el1, x1
                mov x5, sp
                msr sp_el0, x4
                mrs x6, fpcr
                """ + OFF);
        g.vcpu.setRegister("x1", 0x1111);
        g.vcpu.setRegister("X2", 41);
        g.vcpu.setRegister("SP_EL1", RAM + 0x8000); // the guest starts at EL1h: SP is SP_EL1
        g.vcpu.setRegister("CPACR_EL1", 3L << 20);
        g.vcpu.setRegister("FPCR", 1L << 24); // FZ
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(42, g.vcpu.register("X4"));
        assertEquals(0x1111, g.vcpu.register("TPIDR_EL1"));
        assertEquals(RAM + 0x8000, g.vcpu.register("x5"));
        assertEquals(42, g.vcpu.register("SP_EL0"));
        assertEquals(1L << 24, g.vcpu.register("X6"));
        assertEquals(RAM + 0x8000, g.vcpu.register("SP"));
        assertEquals(g.vcpu.pstate(), g.vcpu.register("PSTATE"));
        assertEquals(0b0101, g.vcpu.register("PSTATE") & 0xf, "EL1h");
        for (String bad : List.of("X31", "X05", "X", "W0", "NO_SUCH_EL1"))
            assertThrows(IllegalArgumentException.class, () -> g.vcpu.register(bad), bad);
    }

    @Test
    void breakpointsWatchpointsAndStepsHaltBeforeTheInstruction() {
        long data = RAM + 0x1000;
        Guest g = new Guest("""
                mov x1, #7
                ldr x2, =0x40001000
                str x1, [x2]
                add x3, x1, #1
                add x4, x1, #2
                add x5, x1, #3
                """ + OFF);
        var watch = new GuestDebug.Watchpoint(data, 8, GuestDebug.Access.WRITE);
        g.vcpu.setGuestDebug(new GuestDebug(false, List.of(RAM + 12), List.of(watch)));

        VcpuExit.Debug d = assertInstanceOf(VcpuExit.Debug.class, g.vcpu.run());
        assertEquals(RAM + 8, d.pc(), "the store halts before it writes");
        assertEquals(new GuestDebug.Stop(GuestDebug.Reason.WATCH_WRITE, data), g.vcpu.debugStop());
        assertArrayEquals(new byte[8], g.vm.readGuest(data, 8));

        d = assertInstanceOf(VcpuExit.Debug.class, g.vcpu.run());
        assertEquals(RAM + 12, d.pc());
        assertEquals(new GuestDebug.Stop(GuestDebug.Reason.BREAKPOINT, RAM + 12), g.vcpu.debugStop());
        assertEquals(7, g.vm.readGuest64(data), "the store was retried on resume, past its watchpoint");
        assertEquals(0, g.vcpu.x(3), "nothing at the breakpoint ran");

        // Changed settings leave the halted instruction free to run through its own breakpoint.
        g.vcpu.setGuestDebug(new GuestDebug(true, List.of(RAM + 12, RAM + 20), List.of()));
        d = assertInstanceOf(VcpuExit.Debug.class, g.vcpu.run());
        assertEquals(RAM + 16, d.pc());
        assertEquals(GuestDebug.Reason.STEP, g.vcpu.debugStop().reason());
        assertEquals(8, g.vcpu.x(3));
        assertEquals(0, g.vcpu.x(4));

        g.vcpu.setGuestDebug(new GuestDebug(false, List.of(RAM + 20), List.of()));
        d = assertInstanceOf(VcpuExit.Debug.class, g.vcpu.run());
        assertEquals(RAM + 20, d.pc());
        g.vcpu.clearGuestDebug();
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(10, g.vcpu.x(5));
    }

    @Test
    void anInstructionClockCountsRetiredInstructions() {
        Guest g = new Guest(new Hypervisor().createVm(GuestClock.INSTRUCTIONS), """
                mrs x1, cntpct_el0
                nop
                nop
                nop
                mrs x2, cntpct_el0
                """ + OFF);
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(4, g.vcpu.x(2) - g.vcpu.x(1), "one tick per instruction retired between the reads");
        assertEquals(GuestClock.INSTRUCTIONS, g.vm.clock());
    }
}
