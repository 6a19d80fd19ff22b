package org.jvisor.cpu;

import static org.jvisor.cpu.ExceptionProgram.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * The self-hosted debug architecture (Arm ARM D2: software step state machine, breakpoints, watchpoints,
 * debug exception enables and routing). Syndromes as the Arm ARM ESR_ELx descriptions and QEMU's
 * syn_swstep / syn_breakpoint / syn_watchpoint: EC, IL=1, IFSC/DFSC 0x22. The step sequence (step, step,
 * stepped SVC with SPSR.SS=0, step exception with ISV=0 after the return), the EL0 breakpoint and the load
 * and store watchpoints were also run on qemu-system-aarch64 -M virt -cpu cortex-a57 (bare metal, EL1
 * handlers recording ESR/ELR/SPSR/FAR), which gave the same syndromes, return addresses and FARs.
 */
@NeedsCross
class DebugTest {
    static final long SPSR_SS = 1L << 21;
    static final long STEP_ISV = 0xCB00_0022L, STEP_NO_ISV = 0xCA00_0022L;
    /** DBGBCR: enabled, BAS=0b1111, address match; PMC selects EL1 (0b01) / EL0 (0b10). */
    static final long BCR_EL0 = 1 | (0b10 << 1) | (0xF << 5), BCR_EL1 = 1 | (0b01 << 1) | (0xF << 5);

    static final String EL0_CODE = """
            movz x1, #1
            movz x2, #2
            movz x3, #3
            svc #7
            movz x4, #4
            svc #8
            """;

    /** Debug registers set as software would: OS lock cleared, then MDSCR_EL1. */
    private static void enableDebug(Cpu cpu, long mdscr) {
        Debug.writeOslar(cpu, 0);
        cpu.dbg.mdscr = mdscr;
        Debug.update(cpu);
    }

    private static TestMachine toEl0(long spsr) {
        TestMachine m = load("eret", EL0_CODE);
        m.cpu.sr.elr[1] = CODE2;
        m.cpu.sr.spsr[1] = spsr;
        return m;
    }

    @Test
    void nothingArmedKeepsTheFastPath() {
        Cpu cpu = new TestMachine().cpu;
        assertFalse(cpu.debugActive);
        cpu.dbg.mdscr = Debug.MDSCR_SS;
        Debug.update(cpu);
        assertFalse(cpu.debugActive, "OS lock is set out of reset");
        Debug.writeOslar(cpu, 0);
        assertTrue(cpu.debugActive);
        cpu.dbg.mdscr = Debug.MDSCR_MDE; // MDE without any breakpoint or watchpoint enabled
        Debug.update(cpu);
        assertFalse(cpu.debugActive);
        cpu.dbg.wcr[3] = 1;
        Debug.update(cpu);
        assertTrue(cpu.debugActive);
    }

    /**
     * ERET with SPSR.SS=1 to EL0: one instruction executes, then a Software Step exception from a lower EL
     * (EC 0x32, ISV=1, EX=0) returning to the next instruction, with SPSR.SS=0 (active-pending).
     */
    @Test
    void softwareStepOfEl0Instructions() {
        TestMachine m = toEl0(SPSR_SS);
        Cpu cpu = m.cpu;
        enableDebug(cpu, Debug.MDSCR_SS);
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(STEP_ISV, cpu.sr.esr[1]);
        assertEquals(CODE2 + 4, cpu.sr.elr[1]);
        assertEquals(0, cpu.sr.spsr[1]);
        assertEquals(1, m.x(1));
        assertEquals(0, m.x(2));
        // Step the next one: the debugger sets SPSR.SS again before returning.
        cpu.sr.spsr[1] |= SPSR_SS;
        resume(m);
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(STEP_ISV, cpu.sr.esr[1]);
        assertEquals(CODE2 + 8, cpu.sr.elr[1]);
        assertEquals(2, m.x(2));
        assertEquals(0, m.x(3));
        // Returning with SPSR.SS=0 enters active-pending: the exception comes before any instruction, ISV=0.
        resume(m);
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(STEP_NO_ISV, cpu.sr.esr[1]);
        assertEquals(CODE2 + 8, cpu.sr.elr[1]);
        assertEquals(0, m.x(3));
    }

    /**
     * Stepping an SVC: the SVC exception is taken with SPSR.SS=0 (the step completed, SSAdvance), so the
     * return from the handler goes to active-pending and the step exception follows at once (ISV=0).
     */
    @Test
    void steppingAnSvc() {
        TestMachine m = load("eret", "svc #7\nmovz x4, #4");
        Cpu cpu = m.cpu;
        cpu.sr.elr[1] = CODE2;
        cpu.sr.spsr[1] = SPSR_SS;
        enableDebug(cpu, Debug.MDSCR_SS);
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(esr(Esr.EC_SVC64, 7), cpu.sr.esr[1]);
        assertEquals(CODE2 + 4, cpu.sr.elr[1]);
        assertEquals(0, cpu.sr.spsr[1], "SPSR.SS=0");
        resume(m);
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(STEP_NO_ISV, cpu.sr.esr[1]);
        assertEquals(CODE2 + 4, cpu.sr.elr[1]);
        assertEquals(0, m.x(4));
    }

    /** A stepped instruction that faults (UDF) takes its own exception with SPSR.SS=1: the step did not complete. */
    @Test
    void steppingAFaultingInstruction() {
        TestMachine m = load("eret", ".inst 0x00000000");
        Cpu cpu = m.cpu;
        cpu.sr.elr[1] = CODE2;
        cpu.sr.spsr[1] = SPSR_SS;
        enableDebug(cpu, Debug.MDSCR_SS);
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(esr(Esr.EC_UNKNOWN, 0), cpu.sr.esr[1]);
        assertEquals(SPSR_SS, cpu.sr.spsr[1]);
    }

    /** The step of a load-exclusive reports EX=1. */
    @Test
    void steppingALoadExclusiveSetsEx() {
        TestMachine m = load("eret", "ldxr x1, [x0]\nnop");
        Cpu cpu = m.cpu;
        cpu.sr.elr[1] = CODE2;
        cpu.sr.spsr[1] = SPSR_SS;
        cpu.x[0] = DATA;
        enableDebug(cpu, Debug.MDSCR_SS);
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(STEP_ISV | (1 << 6), cpu.sr.esr[1]);
        assertEquals(CODE2 + 4, cpu.sr.elr[1]);
    }

    /** Without MDSCR_EL1.SS, SPSR.SS is ignored on return. */
    @Test
    void noStepWithoutMdscrSs() {
        TestMachine m = toEl0(SPSR_SS);
        enableDebug(m.cpu, 0);
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(esr(Esr.EC_SVC64, 7), m.cpu.sr.esr[1]);
    }

    /** Stepping EL1 itself needs KDE and PSTATE.D clear at EL1 (debug exceptions enabled at the debug target EL). */
    @Test
    void softwareStepAtEl1WithKde() {
        TestMachine m = load("""
                eret
                movz x1, #1
                movz x2, #2
                """, "");
        Cpu cpu = m.cpu;
        cpu.sr.elr[1] = RAM + 4;
        cpu.sr.spsr[1] = SPSR_SS | 0b0101; // EL1h with D clear
        cpu.daif = Cpu.DAIF_D; // the ERET itself runs with debug exceptions masked
        enableDebug(cpu, Debug.MDSCR_SS | Debug.MDSCR_KDE);
        assertEquals(CUR_SPX + SYNC, runToVector(m));
        assertEquals(0xCF00_0022L, cpu.sr.esr[1], "EC 0x33: same EL, ISV=1");
        assertEquals(RAM + 8, cpu.sr.elr[1]);
        assertEquals(1, m.x(1));
        assertEquals(0, m.x(2));
    }

    /**
     * MDCR_EL2.TDE makes EL2 the debug target: the host steps EL0 by returning with SPSR_EL2.SS=1 and gets
     * the step exception as an EL2_TRAP.
     */
    @Test
    void tdeRoutesStepToEl2() {
        TestMachine m = load("", EL0_CODE);
        Cpu cpu = m.cpu;
        cpu.sr.mdcrEl2 = Debug.MDCR_EL2_TDE;
        enableDebug(cpu, Debug.MDSCR_SS);
        cpu.setElAndSpSel(2, 1);
        cpu.sr.elr[2] = CODE2;
        cpu.sr.spsr[2] = SPSR_SS;
        cpu.exceptionReturn();
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(STEP_ISV, cpu.sr.esr[2]);
        assertEquals(CODE2 + 4, cpu.sr.elr[2]);
        assertEquals(0, cpu.sr.spsr[2]);
        assertEquals(1, m.x(1));
        assertEquals(0, m.x(2));
    }

    /** With TDE, EL1 is below the debug target: a step active-pending at EL1 is taken before the ERET executes. */
    @Test
    void tdeStepsEl1Too() {
        TestMachine m = toEl0(SPSR_SS);
        Cpu cpu = m.cpu;
        cpu.sr.mdcrEl2 = Debug.MDCR_EL2_TDE;
        enableDebug(cpu, Debug.MDSCR_SS);
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(STEP_NO_ISV, cpu.sr.esr[2]);
        assertEquals(RAM, cpu.sr.elr[2]);
        assertEquals(0x3C5, cpu.sr.spsr[2]);
    }

    /** An address breakpoint on an EL0 instruction: EC 0x30 before the instruction executes. */
    @Test
    void breakpointAtEl0() {
        TestMachine m = toEl0(0);
        Cpu cpu = m.cpu;
        cpu.dbg.bvr[2] = CODE2 + 8;
        cpu.dbg.bcr[2] = BCR_EL0;
        enableDebug(cpu, Debug.MDSCR_MDE);
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(0xC200_0022L, cpu.sr.esr[1]);
        assertEquals(CODE2 + 8, cpu.sr.elr[1]);
        assertEquals(2, m.x(2));
        assertEquals(0, m.x(3));
    }

    @Test
    void breakpointNeedsMdeAndMatchingPmcAndNoOsLock() {
        for (int variant = 0; variant < 4; variant++) {
            TestMachine m = toEl0(0);
            Cpu cpu = m.cpu;
            cpu.dbg.bvr[0] = CODE2 + 8;
            cpu.dbg.bcr[0] = variant == 1 ? BCR_EL1 : variant == 3 ? BCR_EL0 & ~(0xFL << 5) : BCR_EL0;
            enableDebug(cpu, variant == 0 ? 0 : Debug.MDSCR_MDE);
            if (variant == 2) Debug.writeOslar(cpu, 1);
            assertEquals(LOWER + SYNC, runToVector(m));
            assertEquals(esr(Esr.EC_SVC64, 7), cpu.sr.esr[1], "variant " + variant);
        }
    }

    /** At EL1 a breakpoint needs KDE and PSTATE.D clear; then EC 0x31. */
    @Test
    void breakpointAtEl1() {
        String main = """
                movz x1, #1
                movz x2, #2
                hvc #0x42
                """;
        TestMachine m = load(main, "");
        m.cpu.dbg.bvr[0] = RAM + 4;
        m.cpu.dbg.bcr[0] = BCR_EL1;
        enableDebug(m.cpu, Debug.MDSCR_MDE | Debug.MDSCR_KDE);
        assertEquals(0x42, m.runToHvc(), "PSTATE.D masks it");

        m = load(main, "");
        m.cpu.dbg.bvr[0] = RAM + 4;
        m.cpu.dbg.bcr[0] = BCR_EL1;
        m.cpu.daif = 0;
        enableDebug(m.cpu, Debug.MDSCR_MDE);
        assertEquals(0x42, m.runToHvc(), "KDE clear");

        m = load(main, "");
        m.cpu.dbg.bvr[0] = RAM + 4;
        m.cpu.dbg.bcr[0] = BCR_EL1;
        m.cpu.daif = 0;
        enableDebug(m.cpu, Debug.MDSCR_MDE | Debug.MDSCR_KDE);
        assertEquals(CUR_SPX + SYNC, runToVector(m));
        assertEquals(0xC600_0022L, m.cpu.sr.esr[1]);
        assertEquals(RAM + 4, m.cpu.sr.elr[1]);
        assertEquals(0, m.x(2));
    }

    /** HCR_EL2.TGE routes a breakpoint from EL0 to EL2. */
    @Test
    void tgeRoutesBreakpointToEl2() {
        TestMachine m = load(EL0_CODE, "");
        Cpu cpu = m.cpu;
        cpu.setElAndSpSel(0, 0);
        cpu.sr.hcrEl2 = SystemRegisters.HCR_TGE;
        cpu.dbg.bvr[1] = RAM + 4;
        cpu.dbg.bcr[1] = BCR_EL0;
        enableDebug(cpu, Debug.MDSCR_MDE);
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(0xC200_0022L, cpu.sr.esr[2]);
        assertEquals(RAM + 4, cpu.sr.elr[2]);
    }

    /** A context ID breakpoint (BT=0b0010, on a context-aware breakpoint) matches CONTEXTIDR_EL1 anywhere. */
    @Test
    void contextIdBreakpoint() {
        TestMachine m = toEl0(0);
        Cpu cpu = m.cpu;
        cpu.sr.contextidrEl1 = 0x77;
        cpu.dbg.bvr[5] = 0x77;
        cpu.dbg.bcr[5] = BCR_EL0 | (0b0010L << 20);
        enableDebug(cpu, Debug.MDSCR_MDE);
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(0xC200_0022L, cpu.sr.esr[1]);
        assertEquals(CODE2, cpu.sr.elr[1]);
    }

    /** BRK is not subject to the debug enables: it is taken with the OS lock set and PSTATE.D set. */
    @Test
    void brkIgnoresDebugMasks() {
        TestMachine m = load("brk #0x3e", "");
        assertEquals(CUR_SPX + SYNC, runToVector(m));
        assertEquals(esr(Esr.EC_BRK64, 0x3e), m.cpu.sr.esr[1]);
        assertEquals(RAM, m.cpu.sr.elr[1]);
    }

    /** DBGWCR: enabled, EL0+EL1 (PAC 0b11), LSC and BAS given. */
    private static long wcr(int lsc, int bas, int mask) {
        return 1 | (0b11 << 1) | (lsc << 3) | ((long) bas << 5) | ((long) mask << 24);
    }

    /** AArch64.WatchpointByteMatch: BAS selects bytes of the doubleword at DBGWVR; MASK covers 2^MASK bytes. */
    @Test
    void watchpointMatching() {
        Cpu cpu = new TestMachine().cpu;
        long a = 0x4000_2000L;
        cpu.dbg.wvr[0] = a;
        cpu.dbg.wcr[0] = wcr(0b11, 0b0000_1100, 0); // bytes 2 and 3
        assertFalse(Debug.watchpointMatch(cpu, 0, a, 2, true, false));
        assertTrue(Debug.watchpointMatch(cpu, 0, a, 4, true, false));
        assertTrue(Debug.watchpointMatch(cpu, 0, a + 3, 1, true, true));
        assertFalse(Debug.watchpointMatch(cpu, 0, a + 4, 4, true, false));
        assertTrue(Debug.watchpointMatch(cpu, 0, a - 8, 16, true, false));
        // LSC: loads only
        cpu.dbg.wcr[0] = wcr(0b01, 0xff, 0);
        assertTrue(Debug.watchpointMatch(cpu, 0, a + 7, 1, true, false));
        assertFalse(Debug.watchpointMatch(cpu, 0, a + 7, 1, true, true));
        assertFalse(Debug.watchpointMatch(cpu, 0, a + 8, 1, true, false));
        // A word-aligned DBGWVR (bit 2 set) uses BAS[3:0] for the word.
        cpu.dbg.wvr[0] = a + 4;
        cpu.dbg.wcr[0] = wcr(0b11, 0b0001, 0);
        assertTrue(Debug.watchpointMatch(cpu, 0, a + 4, 1, true, false));
        assertFalse(Debug.watchpointMatch(cpu, 0, a, 4, true, false));
        // MASK = 12: the whole 4 KiB page
        cpu.dbg.wvr[0] = a;
        cpu.dbg.wcr[0] = wcr(0b10, 0xff, 12);
        assertTrue(Debug.watchpointMatch(cpu, 0, a + 0xff8, 8, true, true));
        assertFalse(Debug.watchpointMatch(cpu, 0, a + 0x1000, 8, true, true));
        assertFalse(Debug.watchpointMatch(cpu, 0, a - 1, 1, true, true));
        // PAC = EL1 only: an unprivileged access (LDTR at EL1) does not match
        cpu.dbg.wcr[0] = (wcr(0b11, 0xff, 0) & ~6L) | (0b01 << 1);
        assertTrue(Debug.watchpointMatch(cpu, 0, a, 8, true, false));
        assertFalse(Debug.watchpointMatch(cpu, 0, a, 8, false, false));
    }

    static final String WATCHED_EL0 = """
            movz x0, #0x2000
            movk x0, #0x4000, lsl #16
            movz x5, #0x55
            str x5, [x0, #8]
            ldr x6, [x0, #8]
            svc #0
            """;

    /** A store watchpoint at EL0: EC 0x34 with WnR=1, FAR the address, ELR the store, memory unchanged. */
    @Test
    void storeWatchpointAtEl0() {
        TestMachine m = load("eret", WATCHED_EL0);
        Cpu cpu = m.cpu;
        cpu.sr.elr[1] = CODE2;
        cpu.sr.spsr[1] = 0;
        cpu.dbg.wvr[1] = DATA + 8;
        cpu.dbg.wcr[1] = (wcr(0b10, 0xff, 0) & ~6L) | (0b10 << 1); // EL0, stores
        enableDebug(cpu, Debug.MDSCR_MDE);
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(0xD200_0062L, cpu.sr.esr[1]);
        assertEquals(DATA + 8, cpu.sr.far[1]);
        assertEquals(CODE2 + 12, cpu.sr.elr[1]);
        assertEquals(0, m.bus.read(DATA + 8, 8));
    }

    /** A load watchpoint on one byte of a doubleword load; the store before it does not trigger it. */
    @Test
    void loadWatchpointOnAByteOfTheAccess() {
        TestMachine m = load("eret", WATCHED_EL0);
        Cpu cpu = m.cpu;
        cpu.sr.elr[1] = CODE2;
        cpu.sr.spsr[1] = 0;
        cpu.x[6] = 0x66;
        cpu.dbg.wvr[0] = DATA + 8;
        cpu.dbg.wcr[0] = wcr(0b01, 0b0001_0000, 0); // byte DATA+12, loads
        enableDebug(cpu, Debug.MDSCR_MDE);
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(0xD200_0022L, cpu.sr.esr[1]);
        assertEquals(CODE2 + 16, cpu.sr.elr[1]);
        assertEquals(DATA + 12, cpu.sr.far[1], "the watched byte (QEMU)");
        assertEquals(0x55, m.bus.read(DATA + 8, 8), "the store completed");
        assertEquals(0x66, m.x(6), "the load did not");
    }

    /** At EL1 with KDE and PSTATE.D clear: EC 0x35. LDTR at EL1 is checked as an EL0 access (PAC). */
    @Test
    void watchpointsAtEl1AndUnprivilegedAccesses() {
        String main = """
                movz x0, #0x2000
                movk x0, #0x4000, lsl #16
                ldr x1, [x0]
                ldtr x2, [x0]
                hvc #0x42
                """;
        // PAC = EL1: the LDR hits.
        TestMachine m = load(main, "");
        m.cpu.daif = 0;
        m.cpu.dbg.wvr[0] = DATA;
        m.cpu.dbg.wcr[0] = (wcr(0b11, 0xff, 0) & ~6L) | (0b01 << 1);
        enableDebug(m.cpu, Debug.MDSCR_MDE | Debug.MDSCR_KDE);
        assertEquals(CUR_SPX + SYNC, runToVector(m));
        assertEquals(0xD600_0022L, m.cpu.sr.esr[1]);
        assertEquals(RAM + 8, m.cpu.sr.elr[1]);
        assertEquals(DATA, m.cpu.sr.far[1]);
        // PAC = EL0: only the LDTR hits.
        m = load(main, "");
        m.cpu.daif = 0;
        m.cpu.dbg.wvr[0] = DATA;
        m.cpu.dbg.wcr[0] = (wcr(0b11, 0xff, 0) & ~6L) | (0b10 << 1);
        enableDebug(m.cpu, Debug.MDSCR_MDE | Debug.MDSCR_KDE);
        assertEquals(CUR_SPX + SYNC, runToVector(m));
        assertEquals(RAM + 12, m.cpu.sr.elr[1]);
        // PSTATE.D set: nothing.
        m = load(main, "");
        m.cpu.dbg.wvr[0] = DATA;
        m.cpu.dbg.wcr[0] = wcr(0b11, 0xff, 0);
        enableDebug(m.cpu, Debug.MDSCR_MDE | Debug.MDSCR_KDE);
        assertEquals(0x42, m.runToHvc());
    }

    /** MDCR_EL2.TDE sends a guest's watchpoint to the host: ESR_EL2, FAR_EL2. */
    @Test
    void watchpointRoutedToEl2() {
        TestMachine m = load("", WATCHED_EL0);
        Cpu cpu = m.cpu;
        cpu.setElAndSpSel(0, 0);
        cpu.pc = CODE2;
        cpu.sr.mdcrEl2 = Debug.MDCR_EL2_TDE;
        cpu.dbg.wvr[3] = DATA + 8;
        cpu.dbg.wcr[3] = wcr(0b11, 0xff, 0);
        enableDebug(cpu, Debug.MDSCR_MDE);
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(0xD200_0062L, cpu.sr.esr[2]);
        assertEquals(DATA + 8, cpu.sr.far[2]);
        assertEquals(CODE2 + 12, cpu.sr.elr[2]);
    }

    /** Arming a watchpoint after the soft TLB cached the page still catches the access. */
    @Test
    void armingFlushesCachedTranslations() {
        TestMachine m = load("""
                movz x0, #0x2000
                movk x0, #0x4000, lsl #16
                ldr x1, [x0]
                hvc #0x42
                ldr x1, [x0]
                hvc #0x43
                """, "");
        Cpu cpu = m.cpu;
        cpu.daif = 0;
        assertEquals(0x42, m.runToHvc());
        cpu.dbg.wvr[0] = DATA;
        cpu.dbg.wcr[0] = wcr(0b01, 0xff, 0);
        enableDebug(cpu, Debug.MDSCR_MDE | Debug.MDSCR_KDE);
        cpu.sr.spsr[2] = 0x5; // EL1h, D clear
        resume(m);
        assertEquals(CUR_SPX + SYNC, runToVector(m));
        assertEquals(RAM + 16, cpu.sr.elr[1]);
    }

    /** Data in the page the code runs from: the instruction fetch must not open a fast path past the watchpoint. */
    @Test
    void watchpointOnTheCodePage() {
        TestMachine m = load("""
                movz x0, #0x100
                movk x0, #0x4000, lsl #16
                ldr x1, [x0]
                hvc #0x42
                .org 0x100
                .quad 0x1234
                """, "");
        Cpu cpu = m.cpu;
        cpu.daif = 0;
        cpu.dbg.wvr[0] = RAM + 0x100;
        cpu.dbg.wcr[0] = wcr(0b01, 0xff, 0);
        enableDebug(cpu, Debug.MDSCR_MDE | Debug.MDSCR_KDE);
        assertEquals(CUR_SPX + SYNC, runToVector(m));
        assertEquals(RAM + 8, cpu.sr.elr[1]);
        assertEquals(RAM + 0x100, cpu.sr.far[1]);
    }

    /** The guest programs everything itself with MSR: OS lock, a breakpoint, MDSCR_EL1, then ERET to EL0. */
    @Test
    void breakpointProgrammedWithMsr() {
        TestMachine m = load("""
                msr oslar_el1, xzr
                movz x0, #0x1008
                movk x0, #0x4000, lsl #16
                msr dbgbvr3_el1, x0
                movz x0, #0x1e5
                msr dbgbcr3_el1, x0
                movz x0, #0x8000
                msr mdscr_el1, x0
                msr spsr_el1, xzr
                movz x0, #0x1000
                movk x0, #0x4000, lsl #16
                msr elr_el1, x0
                isb
                eret
                """, EL0_CODE);
        Cpu cpu = m.cpu;
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(0xC200_0022L, cpu.sr.esr[1]);
        assertEquals(CODE2 + 8, cpu.sr.elr[1]);
        assertEquals(0, m.x(3));
    }

    /** Software step set up by the guest: MDSCR_EL1.SS and SPSR_EL1.SS with MSR. */
    @Test
    void softwareStepProgrammedWithMsr() {
        TestMachine m = load("""
                msr oslar_el1, xzr
                movz x0, #1
                msr mdscr_el1, x0
                movz x0, #0x20, lsl #16
                msr spsr_el1, x0
                movz x0, #0x1000
                movk x0, #0x4000, lsl #16
                msr elr_el1, x0
                isb
                eret
                """, EL0_CODE);
        Cpu cpu = m.cpu;
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(STEP_ISV, cpu.sr.esr[1]);
        assertEquals(CODE2 + 4, cpu.sr.elr[1]);
        assertEquals(1, m.x(1));
        assertEquals(0, m.x(2));
    }

    /** A watchpoint set with MSR, disarmed again with MSR: the fast path comes back. */
    @Test
    void watchpointProgrammedWithMsrAndDisarmed() {
        TestMachine m = load("""
                msr oslar_el1, xzr
                movz x0, #0x2000
                movk x0, #0x4000, lsl #16
                msr dbgwvr0_el1, x0
                movz x1, #0x1fef
                msr dbgwcr0_el1, x1
                movz x1, #0xa000
                msr mdscr_el1, x1
                msr daifclr, #8
                isb
                ldr x2, [x0]
                msr dbgwcr0_el1, xzr
                isb
                hvc #0x42
                """, "");
        Cpu cpu = m.cpu;
        assertEquals(CUR_SPX + SYNC, runToVector(m));
        assertEquals(0xD600_0022L, cpu.sr.esr[1]);
        assertEquals(RAM + 0x28, cpu.sr.elr[1]);
        assertEquals(DATA, cpu.sr.far[1]);
        assertTrue(cpu.debugActive);
        // Skip the load: return past it; disarming turns debug off.
        cpu.sr.elr[1] += 4;
        resume(m);
        assertEquals(0x42, m.runToHvc());
        assertFalse(cpu.debugActive);
    }

    /** A translation fault has priority over a watchpoint on the same access (AArch64.TranslateAddress). */
    @Test
    void translationFaultBeforeWatchpoint() {
        TestMachine m = load("""
                movz x0, #1, lsl #48
                ldr x1, [x0]
                hvc #0x42
                """, "");
        Cpu cpu = m.cpu;
        cpu.daif = 0;
        cpu.dbg.wvr[0] = 1L << 48;
        cpu.dbg.wcr[0] = wcr(0b11, 0xff, 0);
        enableDebug(cpu, Debug.MDSCR_MDE | Debug.MDSCR_KDE);
        assertEquals(CUR_SPX + SYNC, runToVector(m));
        assertEquals(Esr.EC_DABT_CUR, cpu.sr.esr[1] >>> 26, "a data abort (address size fault), not a watchpoint");
        assertEquals(1L << 48, cpu.sr.far[1]);
    }

    /**
     * An interrupt taken in the active-not-pending state saves SPSR.SS=1: the return from the handler
     * resumes stepping, and the next instruction is stepped (ISV=1).
     */
    @Test
    void interruptWhileStepping() {
        TestMachine m = toEl0(SPSR_SS);
        Cpu cpu = m.cpu;
        enableDebug(cpu, Debug.MDSCR_SS);
        cpu.setIrqLine(true);
        assertEquals(LOWER + IRQ, runToVector(m));
        assertEquals(CODE2, cpu.sr.elr[1]);
        assertEquals(SPSR_SS, cpu.sr.spsr[1]);
        assertEquals(0, m.x(1));
        cpu.setIrqLine(false);
        resume(m);
        assertEquals(LOWER + SYNC, runToVector(m));
        assertEquals(STEP_ISV, cpu.sr.esr[1]);
        assertEquals(CODE2 + 4, cpu.sr.elr[1]);
        assertEquals(1, m.x(1));
    }

    /** The OS double lock (OSDLR_EL1.DLK without DBGPRCR_EL1.CORENPDRQ) disables debug exceptions too. */
    @Test
    void doubleLockDisarms() {
        Cpu cpu = new TestMachine().cpu;
        enableDebug(cpu, Debug.MDSCR_SS);
        assertTrue(cpu.debugActive);
        cpu.dbg.osdlr = 1;
        Debug.update(cpu);
        assertFalse(cpu.debugActive);
        cpu.dbg.dbgprcr = 1;
        Debug.update(cpu);
        assertTrue(cpu.debugActive);
    }

    /** A linked address breakpoint (BT=0b0001) fires only while its context breakpoint (BT=0b0011) matches. */
    @Test
    void linkedAddressAndContextBreakpoints() {
        for (long contextId : new long[] {0x42, 0x43}) {
            TestMachine m = toEl0(0);
            Cpu cpu = m.cpu;
            cpu.sr.contextidrEl1 = contextId;
            cpu.dbg.bvr[4] = 0x42;
            cpu.dbg.bcr[4] = BCR_EL0 | (0b0011L << 20);
            cpu.dbg.bvr[0] = CODE2 + 4;
            cpu.dbg.bcr[0] = BCR_EL0 | (0b0001L << 20) | (4L << 16);
            enableDebug(cpu, Debug.MDSCR_MDE);
            assertEquals(LOWER + SYNC, runToVector(m));
            if (contextId == 0x42) {
                assertEquals(0xC200_0022L, cpu.sr.esr[1]);
                assertEquals(CODE2 + 4, cpu.sr.elr[1]);
            } else {
                assertEquals(esr(Esr.EC_SVC64, 7), cpu.sr.esr[1]);
            }
        }
    }

    /** HMC=1 with PMC=0b00 selects EL2 only: a guest hypervisor debugging itself (TDE, KDE, D clear at EL2). */
    @Test
    void breakpointAtEl2WithHmc() {
        TestMachine m = load("""
                movz x1, #1
                movz x2, #2
                1: b 1b
                """, "", "1: b 1b");
        Cpu cpu = m.cpu;
        cpu.hostOwnsEl2 = false;
        cpu.setElAndSpSel(2, 1);
        cpu.daif = 0;
        cpu.sr.mdcrEl2 = Debug.MDCR_EL2_TDE;
        cpu.dbg.bvr[0] = RAM + 4;
        cpu.dbg.bcr[0] = 1 | (0xF << 5) | (1 << 13);
        enableDebug(cpu, Debug.MDSCR_MDE | Debug.MDSCR_KDE);
        cpu.run(50);
        assertEquals(CUR_SPX + SYNC, m.x(21));
        assertEquals(0xC600_0022L, cpu.sr.esr[2]);
        assertEquals(RAM + 4, cpu.sr.elr[2]);
        assertEquals(0, m.x(2));
        // Without HMC the same breakpoint (PMC=0b00) matches nowhere.
        assertFalse(Debug.stateMatch(cpu, 0, false, 0, true, true));
    }
}
