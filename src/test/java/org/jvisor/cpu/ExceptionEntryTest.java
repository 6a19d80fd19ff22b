package org.jvisor.cpu;

import static org.jvisor.cpu.ExceptionProgram.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.jvisor.testing.NeedsCross;

/**
 * Exception entry (AArch64.TakeException) and return (AArch64.ExceptionReturn), with expected values from
 * the Arm ARM (DDI 0487, D1.10 and the ESR_ELx/SPSR_ELx descriptions); syndromes agree with QEMU's
 * target/arm/syndrome.h (syn_uncategorized, syn_aa64_svc, syn_pcalignment, syn_illegalstate, syn_serror).
 */
@NeedsCross
class ExceptionEntryTest {
    static final long SENTINEL = 0x1234;

    /**
     * Every vector offset: sync/IRQ/FIQ/SError from EL1 with SP0, EL1 with SPx, and EL0. SPSR keeps NZCV,
     * DAIF and M; ESR is written for sync and SError only; ELR is the faulting instruction for UDF and the
     * next instruction to execute for interrupts.
     */
    @ParameterizedTest
    @CsvSource({
            "1,0,0", "1,0,1", "1,0,2", "1,0,3",
            "1,1,0", "1,1,1", "1,1,2", "1,1,3",
            "0,0,0", "0,0,1", "0,0,2", "0,0,3",
    })
    void everyVectorOffset(int el, int spsel, int kind) {
        TestMachine m = load("""
                movz x1, #1
                .inst 0x00000000
                """, "");
        Cpu cpu = m.cpu;
        cpu.setSpEl(0, 0x1110);
        cpu.setSpEl(1, 0x2220);
        cpu.setElAndSpSel(el, spsel);
        cpu.setNzcv(0b1010);
        cpu.daif = Cpu.DAIF_D; // D does not mask interrupts
        cpu.sr.esr[1] = SENTINEL;
        switch (kind) {
            case IRQ -> cpu.setIrqLine(true);
            case FIQ -> cpu.setFiqLine(true);
            case SERROR -> cpu.setSErrorLine(true);
            default -> {}
        }
        int base = el == 0 ? LOWER : spsel == 0 ? CUR_SP0 : CUR_SPX;
        assertEquals(base + kind, runToVector(m));
        long expectedEsr = switch (kind) {
            case SYNC -> esr(Esr.EC_UNKNOWN, 0);
            case SERROR -> esr(Esr.EC_SERROR, 0);
            default -> SENTINEL;
        };
        assertEquals(expectedEsr, cpu.sr.esr[1], "ESR_EL1");
        assertEquals(kind == SYNC ? RAM + 4 : RAM, cpu.sr.elr[1], "ELR_EL1");
        assertEquals(0xA000_0000L | Cpu.DAIF_D | (el << 2) | spsel, cpu.sr.spsr[1], "SPSR_EL1");
        // The handler ran at EL1h with everything masked: that is what its HVC saved in SPSR_EL2.
        assertEquals(0xA000_03C5L, cpu.sr.spsr[2], "SPSR_EL2");
        assertEquals(base + kind, m.x(20));
        assertEquals(kind == SYNC ? 1 : 0, m.x(1));
        assertEquals(0x1110, cpu.getSpEl(0));
        assertEquals(0x2220, cpu.getSpEl(1));
    }

    @Test
    void svcFromEl0ReturnsToTheNextInstructionAndEretGoesBack() {
        TestMachine m = load("""
                movz x0, #1
                eret
                """, """
                movz x1, #2
                svc #9
                movz x3, #3
                svc #10
                """);
        Cpu cpu = m.cpu;
        cpu.sr.elr[1] = CODE2;
        cpu.sr.spsr[1] = 0; // EL0t, nothing masked
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(esr(Esr.EC_SVC64, 9), cpu.sr.esr[1]);
        assertEquals(CODE2 + 8, cpu.sr.elr[1]);
        assertEquals(0, cpu.sr.spsr[1]);
        assertEquals(2, m.x(1));
        assertEquals(0, m.x(3));
        resume(m); // the handler's ERET returns to EL0 after the SVC
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(esr(Esr.EC_SVC64, 10), cpu.sr.esr[1]);
        assertEquals(CODE2 + 16, cpu.sr.elr[1]);
        assertEquals(3, m.x(3));
    }

    @Test
    void svcAtEl0UnderTgeGoesToEl2() {
        TestMachine m = load("svc #5", "");
        m.cpu.setElAndSpSel(0, 0);
        m.cpu.sr.hcrEl2 = SystemRegisters.HCR_TGE;
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(esr(Esr.EC_SVC64, 5), m.cpu.sr.esr[2]);
        assertEquals(RAM + 4, m.cpu.sr.elr[2]);
        assertEquals(0x3C0, m.cpu.sr.spsr[2]);
        assertEquals(0x400, m.cpu.lastVectorOffset);
    }

    @Test
    void undefinedAtEl0IsTakenToEl1() {
        TestMachine m = load("""
                nop
                .inst 0x00000000
                """, "");
        m.cpu.setElAndSpSel(0, 0);
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(esr(Esr.EC_UNKNOWN, 0), m.cpu.sr.esr[1]);
        assertEquals(RAM + 4, m.cpu.sr.elr[1]);
    }

    /** Exception entry leaves PSTATE at the target EL with SPx, everything masked, SS and IL clear. */
    @Test
    void pstateAfterEntry() {
        TestMachine m = load(".inst 0x00000000", "");
        Cpu cpu = m.cpu;
        cpu.setElAndSpSel(0, 0);
        cpu.daif = 0;
        // Stop at the vector itself: one step is the exception.
        assertEquals(ExitReason.BUDGET, cpu.run(1));
        assertEquals(1, cpu.currentEl());
        assertEquals(1, cpu.spSel());
        assertEquals(0x3C0, cpu.daif);
        assertFalse(cpu.ss);
        assertFalse(cpu.il);
        assertEquals(VBAR_EL1 + 0x400, cpu.pc);
    }

    /** With FEAT_PAN, entry to EL1 sets PSTATE.PAN when SCTLR_EL1.SPAN is 0 and leaves it when SPAN is 1. */
    @Test
    void panOnEntryFollowsSpan() {
        for (boolean span : new boolean[] {false, true}) {
            PhysicalBus bus = new PhysicalBus();
            bus.addRam(RAM, Ram.allocate(1 << 20));
            Features f = Features.cortexA57();
            f.pan = true;
            Cpu cpu = new Cpu(bus, f);
            bus.writeBytes(RAM, Asm.assemble(".inst 0x00000000", RAM));
            cpu.pc = RAM;
            cpu.sr.vbar[1] = VBAR_EL1;
            if (span) cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_SPAN;
            else cpu.sr.sctlr[1] &= ~SystemRegisters.SCTLR_SPAN;
            cpu.setElAndSpSel(0, 0);
            cpu.run(1);
            assertEquals(!span, cpu.pan, "SPAN=" + span);
            assertEquals(0, cpu.sr.spsr[1] & (1L << 22));
        }
    }

    @ParameterizedTest
    @CsvSource({"1", "0"})
    void branchToAMisalignedAddressRaisesPcAlignmentFaultOnFetch(int el) {
        TestMachine m = load("""
                movz x0, #0x1002
                movk x0, #0x4000, lsl #16
                br x0
                """, "");
        m.cpu.setElAndSpSel(el, el);
        assertEquals(el == 1 ? CUR_SPX : LOWER, runToVector(m));
        assertEquals(esr(Esr.EC_PC_ALIGN, 0), m.cpu.sr.esr[1]);
        assertEquals(CODE2 + 2, m.cpu.sr.far[1]);
        assertEquals(CODE2 + 2, m.cpu.sr.elr[1]);
    }

    /** A guest in a loop of faults (the vector itself is undefined) still ends the run with BUDGET. */
    @Test
    void faultLoopEndsWithBudget() {
        TestMachine m = load(".inst 0x00000000", "");
        m.cpu.sr.vbar[1] = RAM + 0x3000; // zero-filled: every vector is UDF
        assertEquals(ExitReason.BUDGET, m.cpu.run(1000));
    }

    /** SP alignment fault (EC 0x26, IL=1, FAR not written): SP as a load base, misaligned, SCTLR_EL1.SA / SA0 set. */
    @ParameterizedTest
    @CsvSource({"1", "0"})
    void spAlignmentFault(int el) {
        TestMachine m = load("""
                movz x1, #1
                ldr x2, [sp]
                hvc #0x42
                """, "");
        Cpu cpu = m.cpu;
        cpu.setElAndSpSel(el, el);
        cpu.sp = DATA + 8;
        cpu.sr.far[1] = SENTINEL;
        cpu.sr.sctlr[1] |= el == 1 ? SystemRegisters.SCTLR_SA : SystemRegisters.SCTLR_SA0;
        assertEquals(el == 1 ? CUR_SPX : LOWER, runToVector(m));
        assertEquals(esr(Esr.EC_SP_ALIGN, 0), cpu.sr.esr[1]);
        assertEquals(RAM + 4, cpu.sr.elr[1]);
        assertEquals(SENTINEL, cpu.sr.far[1]);
    }

    /** Without SA the same access is fine. */
    @Test
    void misalignedSpWithoutSaChecking() {
        TestMachine m = load("""
                ldr x2, [sp]
                hvc #0x42
                """, "");
        m.cpu.sp = DATA + 8;
        m.cpu.sr.sctlr[1] &= ~SystemRegisters.SCTLR_SA;
        assertEquals(0x42, m.runToHvc());
    }
}
