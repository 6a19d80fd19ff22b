package org.jvisor.hyp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.jvisor.cpu.GenericTimer;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;
import org.jvisor.cpu.SysRegTable;
import org.jvisor.testing.NeedsCross;

/**
 * A vCPU saved between two exits and restored into a new VM (RAM copied) goes on as the paused one does,
 * its counter counting instructions: registers, processor state, memory, and the CPU and IO trap counts.
 * The program reads MMIO (single loads and pairs, which the VMM serves in two exits), waits in trapped WFIs
 * for the virtual timer, and reads a trapped system register; saves fall between every kind of exit,
 * including between the halves of a pair (finished first with {@link Vcpu#completePendingExit()}).
 */
@NeedsCross
class VcpuStateTest {
    private static final String PROGRAM = """
                movz x9, #0x0900, lsl #16
                movz x10, #0x4010, lsl #16
                mov x20, #24
            1:  ldr x1, [x9]
                ldp x2, x3, [x9, #16]
                add x4, x4, x1
                add x4, x4, x2
                eor x4, x4, x3, ror #7
                str x4, [x10], #8
                mrs x5, actlr_el1
                and x6, x20, #7
                cbnz x6, 2f
                mov x7, #300
                msr cntv_tval_el0, x7
                mov x7, #1
                msr cntv_ctl_el0, x7
                wfi
                mrs x8, cntvct_el0
                add x4, x4, x8
            2:  sub x20, x20, #1
                cbnz x20, 1b
            """ + Guest.OFF;

    private static Guest guest() {
        Vm vm = new Hypervisor().createVm(GuestClock.INSTRUCTIONS);
        return new Guest(vm, PROGRAM);
    }

    /** The VMM's answer to a read: a function of the access alone, the same for both runs. */
    private static long serve(Guest g, VcpuExit.Mmio m) {
        if (!m.write()) g.vcpu.completeMmioRead(m.address() * 31 + m.size());
        return 0;
    }

    /** Runs until the guest powers off; returns the number of exits it made. */
    private static int finish(Guest g) {
        for (int exits = 0; ; exits++) {
            VcpuExit e = g.vcpu.run();
            if (Guest.isShutdown(e)) return exits;
            if (e instanceof VcpuExit.Mmio m) serve(g, m);
            else throw new AssertionError("exit " + e);
        }
    }

    private static byte[] vcpuState(Vcpu v) {
        StateWriter w = new StateWriter();
        v.saveState(w);
        return w.toByteArray();
    }

    private static byte[] cpuState(Vcpu v) {
        StateWriter w = new StateWriter();
        v.cpu.saveState(w);
        return w.toByteArray();
    }

    @Test
    void aRestoredVcpuGoesOnAsThePausedOneDoes() {
        int total = finish(guest());
        assertEquals(24 * 3, total, "every MMIO access exits (a pair twice); nothing else reaches the VMM");
        for (int k = 0; k < total; k += 5) splitAfter(k); // odd k: between the halves of a pair
    }

    private void splitAfter(int k) {
        Guest going = guest();
        for (int i = 0; i < k; i++) {
            VcpuExit e = going.vcpu.run();
            serve(going, (VcpuExit.Mmio) e);
        }
        // KVM's immediate_exit: what the last exit left (a pair's second half, a loaded value) is finished first
        VcpuExit pending;
        while ((pending = going.vcpu.completePendingExit()) != null) serve(going, (VcpuExit.Mmio) pending);
        byte[] saved = vcpuState(going.vcpu);

        Guest copy = guest();
        copy.vm.writeGuest(Guest.RAM, going.vm.readGuest(Guest.RAM, (int) Guest.RAM_SIZE));
        StateReader r = new StateReader(saved);
        copy.vcpu.restoreState(r);
        r.end();
        copy.vm.restoreClock(going.vm.clockCount()); // the VM's one counter, saved apart from its vCPUs
        assertArrayEquals(saved, vcpuState(copy.vcpu), "saved again at once, a restored vCPU writes what it read (after " + k + " exits)");

        finish(going);
        finish(copy);
        // The hypervisor's EL2 syndrome registers hold its last trap: the new VM's stage 2 starts empty (unless
        // the VM's snapshot carries it), so its last stage-2 fault may come later than the paused VM's. The
        // guest sees none of them; the processor test compares them too.
        for (String reg : new String[] {"ESR_EL2", "FAR_EL2", "HPFAR_EL2", "ELR_EL2", "SPSR_EL2"})
            SysRegTable.write(going.vcpu.cpu, reg, SysRegTable.read(copy.vcpu.cpu, reg));
        assertArrayEquals(cpuState(going.vcpu), cpuState(copy.vcpu), "processor state, restored after " + k + " exits");
        assertArrayEquals(going.vm.readGuest(0x4010_0000L, 24 * 8), copy.vm.readGuest(0x4010_0000L, 24 * 8), "memory, after " + k + " exits");
        assertEquals(going.vcpu.stats().cpuTraps(), copy.vcpu.stats().cpuTraps(), "CPU traps go on from the saved count");
        assertEquals(going.vcpu.stats().ioTraps(), copy.vcpu.stats().ioTraps(), "IO traps go on from the saved count");
        // (MEM traps differ: the new VM's stage 2 is empty and fills again, unless the VM's snapshot carries it)
    }

    @Test
    void aPairHalfDoneMustBeFinishedBeforeSaving() {
        Guest g = new Guest(new Hypervisor().createVm(GuestClock.INSTRUCTIONS), """
                movz x9, #0x0900, lsl #16
                ldp x2, x3, [x9]
                """ + Guest.OFF);
        VcpuExit.Mmio first = (VcpuExit.Mmio) g.vcpu.run();
        assertEquals(Guest.MMIO, first.address());
        g.vcpu.completeMmioRead(0x1111);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> vcpuState(g.vcpu));
        assertTrue(e.getMessage().contains("completePendingExit"), e.getMessage());
        VcpuExit.Mmio second = (VcpuExit.Mmio) g.vcpu.completePendingExit();
        assertNotNull(second);
        assertEquals(Guest.MMIO + 8, second.address());
        g.vcpu.completeMmioRead(0x2222);
        long pc = g.vcpu.pc();
        assertNull(g.vcpu.completePendingExit(), "nothing left once the pair is done");
        assertEquals(0x1111, g.vcpu.x(2));
        assertEquals(0x2222, g.vcpu.x(3));
        assertEquals(pc + 4, g.vcpu.pc(), "past the LDP, without entering the guest");
        assertNull(g.vcpu.completePendingExit());
        vcpuState(g.vcpu);
    }

    @Test
    void theHostClockGoesOnFromTheSavedCount() {
        Vm saved = new Hypervisor().createVm();
        Vcpu v = saved.createVcpu(0);
        long count = 5_000_000_000L; // 80 s of guest time at 62.5 MHz
        Vm restored = new Hypervisor().createVm();
        Vcpu w = restored.createVcpu(0);
        Vcpu w1 = restored.createVcpu(1);
        restored.restoreClock(count);
        long now = w.counter();
        assertTrue(now >= count && now < count + GenericTimer.FREQUENCY, "continues from the saved count: " + now);
        assertTrue(w1.counter() >= now, "one counter for every vCPU of the VM");
        assertTrue(v.counter() < count, "another VM keeps its own counter");
        assertTrue(restored.clockCount() >= now);
        assertThrows(StateException.class, () -> restored.restoreClock(-1));
    }

    @Test
    void aTrapAndEmulateVcpuIsNotSaved() {
        Vcpu v = new Hypervisor().createTrapAndEmulateVm(GuestClock.INSTRUCTIONS).createVcpu(0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> vcpuState(v));
        assertTrue(e.getMessage().startsWith("a trap-and-emulate VM cannot be saved"), e.getMessage());
    }

    @Test
    void anotherVcpusStateIsRefused() {
        Vm vm = new Hypervisor().createVm(GuestClock.INSTRUCTIONS);
        Vcpu v0 = vm.createVcpu(0);
        byte[] s = vcpuState(v0);
        Vcpu v1 = new Hypervisor().createVm(GuestClock.INSTRUCTIONS).createVcpu(1);
        StateException e = assertThrows(StateException.class, () -> v1.restoreState(new StateReader(s)));
        assertEquals("the state of vCPU 0 given to vCPU 1", e.getMessage());
        Vcpu host = new Hypervisor().createVm().createVcpu(0);
        e = assertThrows(StateException.class, () -> host.restoreState(new StateReader(s)));
        assertTrue(e.getMessage().contains("counts instructions"), e.getMessage());
    }
}
