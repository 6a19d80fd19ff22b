package org.jvisor.cpu;

import static org.jvisor.cpu.ExceptionProgram.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * With {@code hostOwnsEl2 = false} the processor runs a guest hypervisor: exceptions to EL2 vector through
 * VBAR_EL2 like any other EL (Arm ARM AArch64.TakeException; syndromes as QEMU's syn_aa64_hvc).
 */
@NeedsCross
class GuestHypervisorTest {
    static final String STOP = "1: b 1b";

    private static TestMachine guest(String main, String el2Entry) {
        TestMachine m = load(main, "", el2Entry);
        m.cpu.hostOwnsEl2 = false;
        return m;
    }

    @Test
    void hvcFromEl1VectorsThroughVbarEl2AndEretReturns() {
        TestMachine m = guest("""
                movz x1, #1
                hvc #0x77
                movz x2, #2
                1: b 1b
                """, "eret");
        Cpu cpu = m.cpu;
        assertEquals(ExitReason.BUDGET, cpu.run(200));
        assertEquals(LOWER + SYNC, m.x(21), "VBAR_EL2 + 0x400");
        assertEquals(esr(Esr.EC_HVC64, 0x77), cpu.sr.esr[2]);
        assertEquals(RAM + 8, cpu.sr.elr[2]);
        assertEquals(0x3C5, cpu.sr.spsr[2]);
        assertEquals(1, cpu.currentEl(), "ERET went back to EL1");
        assertEquals(1, cpu.spSel());
        assertEquals(2, m.x(2));
        assertEquals(RAM + 12, cpu.pc);
    }

    @Test
    void exceptionsAtEl2StayAtEl2() {
        TestMachine m = guest("""
                .inst 0x00000000
                """, STOP);
        Cpu cpu = m.cpu;
        cpu.setElAndSpSel(2, 1);
        assertEquals(ExitReason.BUDGET, cpu.run(50));
        assertEquals(CUR_SPX + SYNC, m.x(21));
        assertEquals(esr(Esr.EC_UNKNOWN, 0), cpu.sr.esr[2]);
        assertEquals(RAM, cpu.sr.elr[2]);
        assertEquals(0x3C9, cpu.sr.spsr[2]);
        assertEquals(2, cpu.currentEl());
    }

    @Test
    void hvcAtEl2TSpZero() {
        TestMachine m = guest("hvc #3", STOP);
        Cpu cpu = m.cpu;
        cpu.setElAndSpSel(2, 0);
        cpu.run(50);
        assertEquals(CUR_SP0 + SYNC, m.x(21));
        assertEquals(esr(Esr.EC_HVC64, 3), cpu.sr.esr[2]);
        assertEquals(RAM + 4, cpu.sr.elr[2]);
        assertEquals(0x3C8, cpu.sr.spsr[2]);
    }

    @Test
    void irqRoutedByImoFromEl1() {
        TestMachine m = guest("""
                movz x1, #1
                1: b 1b
                """, STOP);
        Cpu cpu = m.cpu;
        cpu.sr.hcrEl2 = SystemRegisters.HCR_IMO;
        cpu.setIrqLine(true);
        cpu.run(50);
        assertEquals(LOWER + IRQ, m.x(21));
        assertEquals(RAM, cpu.sr.elr[2]);
        assertEquals(0, m.x(1));
    }

    /** At EL2, a physical IRQ routed to EL2 is masked by PSTATE.I; one routed to EL1 is never taken. */
    @Test
    void irqAtEl2() {
        String main = """
                movz x1, #1
                1: b 1b
                """;
        // routed to EL2, masked
        TestMachine m = guest(main, STOP);
        m.cpu.setElAndSpSel(2, 1);
        m.cpu.sr.hcrEl2 = SystemRegisters.HCR_IMO;
        m.cpu.setIrqLine(true);
        m.cpu.run(50);
        assertEquals(0, m.x(21));
        assertEquals(1, m.x(1));
        // routed to EL2, unmasked
        m = guest(main, STOP);
        m.cpu.setElAndSpSel(2, 1);
        m.cpu.sr.hcrEl2 = SystemRegisters.HCR_IMO;
        m.cpu.daif = 0;
        m.cpu.setIrqLine(true);
        m.cpu.run(50);
        assertEquals(CUR_SPX + IRQ, m.x(21));
        assertEquals(RAM, m.cpu.sr.elr[2]);
        assertEquals(0x9, m.cpu.sr.spsr[2]);
        // not routed to EL2: targets EL1, below EL2
        m = guest(main, STOP);
        m.cpu.setElAndSpSel(2, 1);
        m.cpu.daif = 0;
        m.cpu.setIrqLine(true);
        m.cpu.run(50);
        assertEquals(0, m.x(21));
        assertEquals(1, m.x(1));
        // virtual interrupts are never taken at EL2
        m = guest(main, STOP);
        m.cpu.setElAndSpSel(2, 1);
        m.cpu.daif = 0;
        m.cpu.sr.hcrEl2 = SystemRegisters.HCR_IMO | SystemRegisters.HCR_VI;
        m.cpu.run(50);
        assertEquals(0, m.x(21));
    }

    /** The guest hypervisor enters its guest with ERET and the guest's HVC comes back. */
    @Test
    void guestHypervisorEntersEl1() {
        TestMachine m = guest("""
                eret
                """, STOP);
        // EL2 code at RAM: ERET to EL1h at CODE2.
        Cpu cpu = m.cpu;
        cpu.setElAndSpSel(2, 1);
        cpu.sr.elr[2] = CODE2;
        cpu.sr.spsr[2] = 0x3C5;
        m.bus.writeBytes(CODE2, Asm.assemble("movz x5, #5\nhvc #9", CODE2));
        cpu.run(50);
        assertEquals(5, m.x(5));
        assertEquals(LOWER + SYNC, m.x(21));
        assertEquals(esr(Esr.EC_HVC64, 9), cpu.sr.esr[2]);
        assertEquals(CODE2 + 8, cpu.sr.elr[2]);
    }
}
