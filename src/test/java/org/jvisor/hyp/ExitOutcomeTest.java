package org.jvisor.hyp;

import static org.junit.jupiter.api.Assertions.*;
import static org.jvisor.hyp.Guest.MMIO;
import static org.jvisor.hyp.Guest.RAM;

import org.jvisor.cpu.Cpu;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * Each kind of exit handed to the dispatcher without running guest code (as Firecracker's exit-handling
 * tests do): the vCPU is put where the processor leaves it on a trap to EL2 (ESR_EL2, FAR_EL2,
 * HPFAR_EL2, ELR_EL2 = the preferred return, SPSR_EL2 = the guest's PSTATE), then {@link ExitHandlers}
 * handles it. The syndromes are written out from the Arm ARM's ISS encodings, and the PC the guest
 * goes on at follows its rules: an HVC's preferred return is the next instruction (nothing to skip);
 * a trapped instruction's (SMC, MSR/MRS, WFI) is the instruction itself, which the hypervisor skips once
 * emulated; a stage-2 fault's is the access, retried; an exception injected to EL1 returns to the
 * trapped instruction (ELR_EL1) and the guest goes on at its vector.
 */
@NeedsCross
class ExitOutcomeTest {
    /** SPSR of the guest's PSTATE at the trap: EL1h with D, A, I, F masked (a vCPU's reset state). */
    private static final long EL1H = 0x3c5;
    private static final long VBAR = RAM + 0x800, AT = RAM + 0x100;

    private final Guest g = new Guest("nop\n");
    private final Vcpu v = g.vcpu;

    /** What the processor does on a synchronous trap from the guest to EL2. */
    private void trap(long elr, long esr, long far, long ipa) {
        v.setRegister("VBAR_EL1", VBAR);
        v.cpu.sr.far[2] = far;
        v.cpu.sr.hpfarEl2 = (ipa >>> 12) << 4; // HPFAR_EL2.FIPA, bits [43:4], holds IPA[55:12]
        v.cpu.takeException(2, Cpu.VECT_SYNC, elr, esr);
        assertEquals(2, v.cpu.currentEl());
    }

    private void trap(long elr, long esr) { trap(elr, esr, 0, 0); }

    private void assertGuestAt(long pc) {
        assertEquals(1, v.cpu.currentEl(), "back in the guest");
        assertEquals(EL1H, v.pstate());
        assertEquals(pc, v.pc());
    }

    @Test
    void hvcGoesOnAtItsPreferredReturnTheNextInstruction() {
        v.setX(0, 0x84000000L); // PSCI_VERSION
        trap(AT + 4, 0x5A000000L); // EC 0x16, IL, imm16 0
        assertNull(ExitHandlers.handle(v));
        assertGuestAt(AT + 4);
        assertEquals(0x10001, v.x(0), "PSCI 1.1");
        assertEquals(1, v.stats().exits(0x16));
    }

    @Test
    void trappedSmcIsSkipped() {
        v.setX(0, 0x84000000L);
        trap(AT, 0x5E000000L); // EC 0x17 (HCR_EL2.TSC): ELR is the SMC itself
        assertNull(ExitHandlers.handle(v));
        assertGuestAt(AT + 4);
        assertEquals(0x10001, v.x(0));
    }

    @Test
    void hypercallExitsLeaveThePcWhereTheGuestGoesOnOnce() {
        trap(AT + 4, 0x5A000000L | 5); // HVC #5
        VcpuExit.Hypercall h = assertInstanceOf(VcpuExit.Hypercall.class, ExitHandlers.handle(v));
        assertEquals(5, h.immediate());
        assertFalse(h.smc());
        assertGuestAt(AT + 4);

        trap(AT + 8, 0x5E000000L | 7); // SMC #7
        h = assertInstanceOf(VcpuExit.Hypercall.class, ExitHandlers.handle(v));
        assertTrue(h.smc());
        assertGuestAt(AT + 12);
    }

    @Test
    void trappedMsrIsPerformedAndSkipped() {
        long sctlr = v.register("SCTLR_EL1") ^ (1L << 2); // flip C
        v.setX(3, sctlr);
        trap(AT, 0x62300460L); // EC 0x18: MSR SCTLR_EL1, X3 (op0 3, op1 0, CRn 1, CRm 0, op2 0, Rt 3, write)
        assertNull(ExitHandlers.handle(v));
        assertGuestAt(AT + 4);
        assertEquals(sctlr, v.register("SCTLR_EL1"));
    }

    @Test
    void trappedMrsIsAnsweredAndSkipped() {
        trap(AT, 0x623204A1L); // MRS X5, ACTLR_EL1 (op0 3, op1 0, CRn 1, CRm 0, op2 1, Rt 5, read) under HCR_EL2.TACR
        assertNull(ExitHandlers.handle(v));
        assertGuestAt(AT + 4);
        assertEquals(v.register("ACTLR_EL1"), v.x(5));
    }

    @Test
    void undefinedInjectedAtTheTrappedInstruction() {
        trap(AT, 0x62307C21L); // MRS X1, S3_1_C15_C0_0 (IMPLEMENTATION DEFINED) under HCR_EL2.TIDCP
        assertNull(ExitHandlers.handle(v));
        assertGuestAt(VBAR + 0x200); // synchronous, current EL with SP_ELx
        assertEquals(AT, v.register("ELR_EL1"), "returns to the trapped MRS: no skip");
        assertEquals(EL1H, v.register("SPSR_EL1"));
        assertEquals(0x02000000L, v.register("ESR_EL1"), "EC 0x00, IL");
    }

    @Test
    void stage2FaultOnRamIsRetried() {
        long far = RAM + 0x1234;
        trap(AT, 0x93C18007L, far, far); // LDR X1, [X0]: EC 0x24, ISV, SAS 3, SRT 1, SF, DFSC translation level 3
        assertNull(ExitHandlers.handle(v));
        assertGuestAt(AT);
        assertNotEquals(0, v.stage2View().table().lookup(RAM + 0x1000), "the page is mapped now");
        assertEquals(1, v.stats().memTraps());
    }

    @Test
    void mmioStoreExitsAtTheAccessAndCompletionSkipsIt() {
        v.setX(2, 0x1234_5678L);
        // STR W2, [X0] outside RAM: EC 0x24, ISV, SAS 2, SRT 2, WnR, DFSC translation level 2
        trap(AT, 0x93820046L, MMIO, MMIO);
        VcpuExit.Mmio m = assertInstanceOf(VcpuExit.Mmio.class, ExitHandlers.handle(v));
        assertEquals(new VcpuExit.Mmio(MMIO, 4, true, 0x1234_5678L), m);
        assertGuestAt(AT);
        assertNull(ExitHandlers.complete(v, v.mmio.resume()));
        assertGuestAt(AT + 4);
        assertNull(ExitHandlers.complete(v, v.mmio.resume()), "completed once");
        assertGuestAt(AT + 4);
    }

    @Test
    void mmioLoadCompletesWithItsSignExtensionAndSkipsOnce() {
        // LDRSH X3, [X0]: ISV, SAS 1, SSE, SRT 3, SF, DFSC translation level 2
        trap(AT, 0x93638006L, MMIO + 2, MMIO + 2);
        VcpuExit.Mmio m = assertInstanceOf(VcpuExit.Mmio.class, ExitHandlers.handle(v));
        assertEquals(new VcpuExit.Mmio(MMIO + 2, 2, false, 0), m);
        assertGuestAt(AT);
        v.completeMmioRead(0x8001);
        assertNull(ExitHandlers.complete(v, v.mmio.resume()));
        assertGuestAt(AT + 4);
        assertEquals(0xffff_ffff_ffff_8001L, v.x(3));
    }

    @Test
    void refusedMmioInjectsAnExternalAbortAtTheAccess() {
        trap(AT, 0x93820046L, MMIO, MMIO);
        assertInstanceOf(VcpuExit.Mmio.class, ExitHandlers.handle(v));
        v.completeMmioUnclaimed();
        assertNull(ExitHandlers.complete(v, v.mmio.resume()));
        assertGuestAt(VBAR + 0x200);
        assertEquals(AT, v.register("ELR_EL1"));
        assertEquals(0x96000050L, v.register("ESR_EL1"), "EC 0x25 (current EL), IL, WnR, DFSC synchronous external abort");
        assertEquals(MMIO, v.register("FAR_EL1"));
    }

    @Test
    void fetchOutsideRamInjectsAnInstructionAbort() {
        trap(MMIO, 0x82000006L, MMIO, MMIO); // EC 0x20, IFSC translation level 2; ELR is the fetch
        assertNull(ExitHandlers.handle(v));
        assertGuestAt(VBAR + 0x200);
        assertEquals(MMIO, v.register("ELR_EL1"));
        assertEquals(0x86000010L, v.register("ESR_EL1"), "EC 0x21 (current EL), IL, IFSC synchronous external abort");
        assertEquals(MMIO, v.register("FAR_EL1"));
    }

    @Test
    void trappedWfiIsSkippedOnceItsInterruptArrives() {
        v.setIrqLine(true); // pending already: the sleep ends at once
        trap(AT, 0x07E00000L); // EC 0x01: CV, COND 0b1110, TI 0 (WFI)
        assertNull(ExitHandlers.handle(v));
        assertGuestAt(AT + 4);
    }

    @Test
    void fpTrapIsRetried() {
        v.cpu.sr.cptrEl2 |= 1L << 10; // CPTR_EL2.TFP
        trap(AT, 0x1FE00000L); // EC 0x07: CV, COND 0b1110
        assertNull(ExitHandlers.handle(v));
        assertGuestAt(AT);
        assertEquals(0, v.cpu.sr.cptrEl2 & (1L << 10));
    }

    @Test
    void debugExitIsAtTheInstruction() {
        trap(AT, 0xF2000003L); // EC 0x3c: BRK #3 routed to EL2 (MDCR_EL2.TDE); ELR is the BRK
        VcpuExit.Debug d = assertInstanceOf(VcpuExit.Debug.class, ExitHandlers.handle(v));
        assertEquals(0x3c, d.ec());
        assertEquals(AT, d.pc());
        assertGuestAt(AT);
    }

    @Test
    void interruptToEl2ResumesTheGuestUntouched() {
        v.cpu.takeException(2, Cpu.VECT_IRQ, AT, -1); // a physical IRQ routed to EL2 (HCR_EL2.IMO): no syndrome
        assertNull(ExitHandlers.handle(v));
        assertGuestAt(AT);
        for (int ec = 0; ec < 64; ec++) assertEquals(0, v.stats().exits(ec), "not an exit of any class");
    }
}
