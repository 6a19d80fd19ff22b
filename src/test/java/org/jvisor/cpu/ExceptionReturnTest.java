package org.jvisor.cpu;

import static org.jvisor.cpu.ExceptionProgram.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.jvisor.testing.NeedsCross;

/**
 * Illegal exception returns (AArch64.ExceptionReturn, IllegalExceptionReturn, SetPSTATEFromPSR of the Arm
 * ARM): PSTATE.IL is set, EL and SP stay, NZCV and DAIF are restored, PC = ELR; the next instruction then
 * raises an Illegal Execution state exception (EC 0x0E, IL=1; QEMU's syn_illegalstate). Returns to EL2h,
 * to EL0 with SP_EL1, to EL1 with M[1], and SPSR.IL on a return to EL0 were run on qemu-system-aarch64
 * -M virt -cpu cortex-a57 at EL1: same ESR, ELR and SPSR (0x601003C5 / 0x00100000).
 */
@NeedsCross
class ExceptionReturnTest {
    static final String EL0_CODE = """
            movz x1, #1
            svc #0
            """;

    /**
     * From EL1: to EL2t/EL2h (higher), EL3h (not implemented), AArch32 (M[4]), EL1 with the reserved M[1],
     * EL0 with SP_EL1 (M = 0b00001), and M[1] at EL0.
     */
    @ParameterizedTest
    @ValueSource(ints = {0b01000, 0b01001, 0b01101, 0b10000, 0b10011, 0b00111, 0b00110, 0b00001, 0b00010})
    void illegalReturnFromEl1SetsIlAndTheNextInstructionRaisesEc0E(int mode) {
        TestMachine m = load("eret", EL0_CODE);
        Cpu cpu = m.cpu;
        cpu.sr.elr[1] = CODE2;
        cpu.sr.spsr[1] = 0x6000_0000L | Cpu.DAIF_I | Cpu.DAIF_F | mode;
        assertEquals(CUR_SPX + SYNC, runToVector(m), "stays at EL1h");
        assertEquals(esr(Esr.EC_ILL, 0), cpu.sr.esr[1]);
        assertEquals(CODE2, cpu.sr.elr[1], "the instruction at ELR did not execute");
        // SPSR_EL1: NZCV and DAIF as restored, IL set, M still EL1h.
        assertEquals(0x6000_0000L | (1L << 20) | Cpu.DAIF_I | Cpu.DAIF_F | 0b00101, cpu.sr.spsr[1]);
        assertEquals(0, m.x(1));
    }

    @Test
    void illegalReturnKeepsSpSelection() {
        TestMachine m = load("eret", EL0_CODE);
        Cpu cpu = m.cpu;
        cpu.setElAndSpSel(1, 0);
        cpu.sr.elr[1] = CODE2;
        cpu.sr.spsr[1] = 0b01001;
        assertEquals(CUR_SP0 + SYNC, runToVector(m));
        assertEquals((1L << 20) | 0b00100, cpu.sr.spsr[1]);
    }

    /** SPSR.IL=1 on a legal return sets PSTATE.IL at the new EL: EC 0x0E taken from EL0. */
    @Test
    void spsrIlOnALegalReturnSetsPstateIl() {
        TestMachine m = load("eret", EL0_CODE);
        Cpu cpu = m.cpu;
        cpu.sr.elr[1] = CODE2;
        cpu.sr.spsr[1] = 1L << 20; // EL0t with IL
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(esr(Esr.EC_ILL, 0), cpu.sr.esr[1]);
        assertEquals(CODE2, cpu.sr.elr[1]);
        assertEquals(1L << 20, cpu.sr.spsr[1]);
    }

    /** A legal return to EL0 clears IL and runs there. */
    @Test
    void legalReturnToEl0() {
        TestMachine m = load("eret", EL0_CODE);
        m.cpu.sr.elr[1] = CODE2;
        m.cpu.sr.spsr[1] = 0xF000_0000L;
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(esr(Esr.EC_SVC64, 0), m.cpu.sr.esr[1]);
        assertEquals(0xF000_0000L, m.cpu.sr.spsr[1]);
        assertEquals(1, m.x(1));
    }

    /** ERET at EL0 is undefined. */
    @Test
    void eretAtEl0IsUndefined() {
        TestMachine m = load("eret", "");
        m.cpu.setElAndSpSel(0, 0);
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(esr(Esr.EC_UNKNOWN, 0), m.cpu.sr.esr[1]);
        assertEquals(RAM, m.cpu.sr.elr[1]);
    }

    /**
     * The host's ERET from EL2 to EL1 while HCR_EL2.TGE is set is illegal: the PE stays at EL2 with IL set
     * and the next instruction traps to (host-owned) EL2 with EC 0x0E.
     */
    @Test
    void hostReturnToEl1UnderTgeIsIllegal() {
        TestMachine m = load("""
                hvc #0x42
                movz x1, #1
                """, "");
        assertEquals(0x42, m.runToHvc());
        Cpu cpu = m.cpu;
        cpu.sr.hcrEl2 = SystemRegisters.HCR_TGE;
        cpu.exceptionReturn();
        assertEquals(2, cpu.currentEl());
        assertTrue(cpu.il);
        assertEquals(RAM + 4, cpu.pc);
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(esr(Esr.EC_ILL, 0), cpu.sr.esr[2]);
        assertEquals(RAM + 4, cpu.sr.elr[2]);
        assertEquals((1L << 20) | 0x3C9, cpu.sr.spsr[2], "taken from EL2h with IL set");
        assertEquals(0x200, cpu.lastVectorOffset);
        assertEquals(0, m.x(1));
    }

    /** The same with TGE clear is a legal return to EL1. */
    @Test
    void hostReturnToEl1() {
        TestMachine m = load("""
                hvc #0x42
                movz x1, #1
                hvc #0x43
                """, "");
        assertEquals(0x42, m.runToHvc());
        m.cpu.exceptionReturn();
        assertEquals(1, m.cpu.currentEl());
        assertEquals(0x43, m.runToHvc());
        assertEquals(1, m.x(1));
    }

    /** The host injects an undefined instruction for the instruction that trapped: the guest's EL1 vector runs. */
    @Test
    void hostInjectsAnUndefinedInstruction() {
        TestMachine m = load("""
                movz x1, #1
                hvc #0x99
                movz x2, #2
                """, "");
        Cpu cpu = m.cpu;
        cpu.setNzcv(0b0100);
        assertEquals(0x99, m.runToHvc());
        cpu.sr.elr[2] -= 4; // report the HVC itself
        cpu.injectException(Cpu.VECT_SYNC, esr(Esr.EC_UNKNOWN, 0));
        assertEquals(CUR_SPX + SYNC, runToVector(m));
        assertEquals(esr(Esr.EC_UNKNOWN, 0), cpu.sr.esr[1]);
        assertEquals(RAM + 4, cpu.sr.elr[1]);
        assertEquals(0x4000_03C5L, cpu.sr.spsr[1]);
        assertEquals(0, m.x(2));
    }
}
