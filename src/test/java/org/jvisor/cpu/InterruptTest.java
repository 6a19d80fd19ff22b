package org.jvisor.cpu;

import static org.jvisor.cpu.ExceptionProgram.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * Interrupt masking and routing without EL3 (Arm ARM D1.3.6 "Asynchronous exception routing and
 * masking", HCR_EL2.{IMO,FMO,AMO,TGE,VI,VF,VSE}): an interrupt is taken at an instruction boundary with
 * ELR the next instruction to execute; IRQ/FIQ write no ESR.
 */
@NeedsCross
class InterruptTest {
    static final long SENTINEL = 0x5555;
    static final String MAIN = """
            movz x1, #1
            hvc #0x42
            movz x2, #2
            hvc #0x43
            """;

    /** Masked by PSTATE.I at EL1, the IRQ waits; once unmasked it is taken before the next instruction. */
    @Test
    void irqAtEl1IsMaskedByPstateI() {
        TestMachine m = load(MAIN, "");
        Cpu cpu = m.cpu;
        cpu.sr.esr[1] = SENTINEL;
        cpu.setIrqLine(true);
        assertEquals(0x42, m.runToHvc(), "masked out of reset");
        assertTrue(cpu.interruptPending());
        cpu.sr.spsr[2] &= ~Cpu.DAIF_I; // the host returns with I clear
        resume(m);
        assertEquals(CUR_SPX + IRQ, runToVector(m));
        assertEquals(RAM + 8, cpu.sr.elr[1], "the next instruction to execute");
        assertEquals(Cpu.DAIF_D | Cpu.DAIF_A | Cpu.DAIF_F | 0b0101, cpu.sr.spsr[1]);
        assertEquals(SENTINEL, cpu.sr.esr[1]);
        assertEquals(0, m.x(2));
        // Lowering the line lets the handler's ERET continue the program.
        cpu.setIrqLine(false);
        resume(m);
        assertEquals(0x43, m.runToHvc());
        assertEquals(2, m.x(2));
    }

    /** A physical IRQ targeting EL1 is masked by PSTATE.I at EL0 too; unmasked at EL0 it is taken from a lower EL. */
    @Test
    void irqAtEl0() {
        TestMachine m = load("""
                eret
                """, """
                movz x1, #1
                svc #1
                """);
        Cpu cpu = m.cpu;
        cpu.setIrqLine(true);
        cpu.sr.elr[1] = CODE2;
        cpu.sr.spsr[1] = Cpu.DAIF_I; // EL0t, IRQ masked
        assertEquals(LOWER + SYNC, runToVector(m), "masked IRQ: the SVC comes first");
        cpu.sr.elr[1] = CODE2;
        cpu.sr.spsr[1] = 0;
        resume(m); // back in the vector, whose ERET goes to EL0 with IRQs unmasked
        assertEquals(LOWER + IRQ, runToVector(m));
        assertEquals(CODE2, cpu.sr.elr[1]);
        assertEquals(0, cpu.sr.spsr[1]);
    }

    /** HCR_EL2.IMO routes physical IRQs to EL2, where PSTATE.I at EL1 does not mask them: an EL2_TRAP exit. */
    @Test
    void imoRoutesIrqToEl2EvenWhenMaskedAtEl1() {
        TestMachine m = load(MAIN, "");
        Cpu cpu = m.cpu;
        assertEquals(0x42, m.runToHvc());
        cpu.sr.hcrEl2 = SystemRegisters.HCR_IMO | SystemRegisters.HCR_RW;
        cpu.sr.esr[2] = SENTINEL;
        cpu.setIrqLine(true);
        resume(m);
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(0x480, cpu.lastVectorOffset, "IRQ from a lower EL");
        assertEquals(SENTINEL, cpu.sr.esr[2]);
        assertEquals(RAM + 8, cpu.sr.elr[2]);
        assertEquals(0x3C5, cpu.sr.spsr[2]);
        assertEquals(2, cpu.currentEl());
        assertEquals(0, m.x(2));
    }

    @Test
    void fmoAndAmoRouteFiqAndSErrorToEl2() {
        TestMachine m = load(MAIN, "");
        Cpu cpu = m.cpu;
        cpu.sr.hcrEl2 = SystemRegisters.HCR_FMO | SystemRegisters.HCR_AMO;
        cpu.setFiqLine(true);
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(0x500, cpu.lastVectorOffset);
        assertEquals(RAM, cpu.sr.elr[2]);
        cpu.setFiqLine(false);
        cpu.setSErrorLine(true);
        resume(m);
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(0x580, cpu.lastVectorOffset);
        assertEquals(esr(Esr.EC_SERROR, 0), cpu.sr.esr[2]);
        // Taking the SError consumed it.
        resume(m);
        assertEquals(0x42, m.runToHvc());
    }

    /** HCR_EL2.TGE routes physical interrupts from EL0 to EL2 like IMO does. */
    @Test
    void tgeRoutesIrqFromEl0ToEl2() {
        TestMachine m = load("nop", "");
        Cpu cpu = m.cpu;
        cpu.setElAndSpSel(0, 0);
        cpu.sr.hcrEl2 = SystemRegisters.HCR_TGE;
        cpu.setIrqLine(true);
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(0x480, cpu.lastVectorOffset);
        assertEquals(0x3C0, cpu.sr.spsr[2]);
    }

    /** A virtual IRQ (HCR_EL2.VI with IMO) is taken at EL1, masked by PSTATE.I. */
    @Test
    void virtualIrqIsTakenAtEl1WhenUnmasked() {
        TestMachine m = load(MAIN, "");
        Cpu cpu = m.cpu;
        cpu.sr.hcrEl2 = SystemRegisters.HCR_IMO | SystemRegisters.HCR_VI;
        assertTrue(cpu.interruptPending());
        assertEquals(0x42, m.runToHvc(), "masked by PSTATE.I");
        cpu.sr.spsr[2] &= ~Cpu.DAIF_I;
        resume(m);
        assertEquals(CUR_SPX + IRQ, runToVector(m));
        assertEquals(RAM + 8, cpu.sr.elr[1]);
        // VI stays set until the hypervisor clears it.
        assertTrue((cpu.sr.hcrEl2 & SystemRegisters.HCR_VI) != 0);
    }

    /** Without IMO (or with TGE) HCR_EL2.VI signals nothing. */
    @Test
    void virtualIrqNeedsImo() {
        TestMachine m = load(MAIN, "");
        Cpu cpu = m.cpu;
        cpu.daif = 0;
        cpu.sr.hcrEl2 = SystemRegisters.HCR_VI;
        assertFalse(cpu.interruptPending());
        assertEquals(0x42, m.runToHvc());
    }

    @Test
    void virtualFiqAndVirtualSError() {
        TestMachine m = load(MAIN, "");
        Cpu cpu = m.cpu;
        cpu.daif = 0;
        cpu.sr.hcrEl2 = SystemRegisters.HCR_FMO | SystemRegisters.HCR_VF;
        assertEquals(CUR_SPX + FIQ, runToVector(m));
        cpu.sr.hcrEl2 = SystemRegisters.HCR_AMO | SystemRegisters.HCR_VSE;
        cpu.sr.spsr[1] = 0b0101; // return unmasked
        resume(m);
        assertEquals(CUR_SPX + SERROR, runToVector(m));
        assertEquals(esr(Esr.EC_SERROR, 0), cpu.sr.esr[1]);
        assertEquals(0, cpu.sr.hcrEl2 & SystemRegisters.HCR_VSE, "taking a virtual SError clears VSE");
    }

    /** A physical IRQ routed to EL2 is preferred over a pending virtual one. */
    @Test
    void physicalRoutedToEl2BeforeVirtual() {
        TestMachine m = load(MAIN, "");
        Cpu cpu = m.cpu;
        cpu.daif = 0;
        cpu.sr.hcrEl2 = SystemRegisters.HCR_IMO | SystemRegisters.HCR_VI;
        cpu.setIrqLine(true);
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(0x480, cpu.lastVectorOffset);
    }

    /** MSR DAIFClr ends the chunk: the pending IRQ is taken right after it, ELR the next instruction. */
    @Test
    void msrDaifClrUnmasksAtTheNextInstruction() {
        TestMachine m = load("""
                movz x1, #1
                msr daifclr, #2
                movz x2, #2
                hvc #0x42
                """, "");
        Cpu cpu = m.cpu;
        cpu.setIrqLine(true);
        assertEquals(CUR_SPX + IRQ, runToVector(m));
        assertEquals(RAM + 8, cpu.sr.elr[1]);
        assertEquals(0x345, cpu.sr.spsr[1]);
        assertEquals(1, m.x(1));
        assertEquals(0, m.x(2));
    }

    /** A guest hypervisor's write to HCR_EL2 ends the chunk: IMO routes the pending IRQ to EL2 at once. */
    @Test
    void hcrEl2WriteAtEl2TakesEffectAtTheNextInstruction() {
        TestMachine m = load("""
                movz x0, #0x10
                msr hcr_el2, x0
                movz x2, #2
                1: b 1b
                """, "", "1: b 1b");
        Cpu cpu = m.cpu;
        cpu.hostOwnsEl2 = false;
        cpu.setElAndSpSel(2, 1);
        cpu.daif = 0;
        cpu.setIrqLine(true);
        cpu.run(100);
        assertEquals(CUR_SPX + IRQ, m.x(21));
        assertEquals(RAM + 8, cpu.sr.elr[2]);
        assertEquals(0, m.x(2));
    }

    /** A guest hypervisor injects a virtual IRQ: MSR HCR_EL2 (IMO, VI), then ERET to EL1 with I clear. */
    @Test
    void guestHypervisorInjectsVirtualIrq() {
        TestMachine m = load("""
                movz x0, #0x90
                msr hcr_el2, x0
                eret
                """, """
                movz x3, #3
                1: b 1b
                """);
        Cpu cpu = m.cpu;
        cpu.hostOwnsEl2 = false;
        cpu.setElAndSpSel(2, 1);
        cpu.sr.elr[2] = CODE2;
        cpu.sr.spsr[2] = 0x345; // EL1h, I clear
        // The EL1 handler's HVC goes to the guest hypervisor's VBAR_EL2 table, which stops there.
        cpu.run(100);
        assertEquals(CUR_SPX + IRQ, m.x(20), "EL1 vector of the virtual IRQ");
        assertEquals(CODE2, cpu.sr.elr[1]);
        assertEquals(0, m.x(3));
        assertEquals(LOWER + SYNC, m.x(21), "then the handler's HVC");
    }
}
