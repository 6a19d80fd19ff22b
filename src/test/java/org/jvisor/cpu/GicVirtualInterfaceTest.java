package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * The GICv3 virtual CPU interface against the GIC architecture specification (IHI 0069, chapter
 * "Virtual interrupt handling and prioritization" and the ICH_*_EL2 / ICV_*_EL1 register descriptions):
 * a guest hypervisor at EL2 (hostOwnsEl2 off) programs the list registers, ERETs to EL1, and EL1 takes
 * and handles the virtual interrupt through the ICC registers, which are its ICV_ view under
 * HCR_EL2.IMO/FMO. Expected values come from the register layouts and pseudocode named beside them.
 *
 * <p>Layout: EL2 code at RAM, VBAR_EL1 at +0x800 (IRQ and FIQ from the current EL branch to handlers at
 * +0x3000 and +0x3800, which set x20 to 0x280 or 0x300 first), EL1 code at +0x1000, VBAR_EL2 at +0x1800
 * (each vector sets x21 to its offset and stops in WFI). Programs stop in WFI (a WFI with no interrupt
 * pending ends the run) and resume with another run.
 */
@NeedsCross
class GicVirtualInterfaceTest {
    static final long RAM = TestMachine.RAM_BASE, EL1_CODE = RAM + 0x1000;
    /** HCR_EL2.RW | IMO | FMO: EL1 is AArch64 and both interrupt classes are the guest hypervisor's. */
    static final long HCR = SystemRegisters.HCR_RW | SystemRegisters.HCR_IMO | SystemRegisters.HCR_FMO;
    // ICH_LR<n>_EL2 fields: State [63:62] (01 pending, 10 active), HW [61], Group [60], Priority [55:48],
    // pINTID [44:32] (EOI [41] when HW is 0), vINTID [31:0]
    static final long PENDING = 1L << 62, ACTIVE = 1L << 63, HW = 1L << 61, GROUP1 = 1L << 60, EOI = 1L << 41;
    // ICH_VMCR_EL2: VENG0 [0], VENG1 [1], VFIQEn [3], VCBPR [4], VEOIM [9], VBPR1 [20:18], VBPR0 [23:21], VPMR [31:24]
    static final long VENG0 = 1, VENG1 = 2, VPMR_F0 = 0xF0L << 24;
    static final String STOP = "1: wfi\n b 1b";

    /** The processor's physical GIC CPU interface, as far as the virtual one uses it: it records. */
    static final class Physical implements GicCpuInterface {
        final List<String> log = new ArrayList<>();

        @Override
        public long read(Register r) {
            log.add("read " + r);
            return 0;
        }

        @Override
        public void write(Register r, long value) { log.add("write " + r + " " + value); }

        @Override
        public void deactivate(int intid) { log.add("deactivate " + intid); }
    }

    final Physical physical = new Physical();
    final List<Boolean> maintenance = new ArrayList<>();

    static long lr(long state, long group, int priority, int vintid) {
        return state | group | ((long) priority << 48) | vintid;
    }

    /** {@code el2} runs at EL2h first; {@code el1} is what its ERET (ELR_EL2 = EL1_CODE) runs at EL1h. */
    private TestMachine machine(String el2, String el1, String irqHandler, String fiqHandler) {
        StringBuilder s = new StringBuilder(el2).append('\n').append(STOP).append("\n.ltorg\n");
        s.append(".org 0x800 + 0x200\n movz x20, #0x200\n").append(STOP).append('\n');
        s.append(".org 0x800 + 0x280\n movz x20, #0x280\n b irq_handler\n");
        s.append(".org 0x800 + 0x300\n movz x20, #0x300\n b fiq_handler\n");
        s.append(".org 0x1000\n").append(el1).append('\n').append(STOP).append("\n.ltorg\n");
        for (int v : new int[] {0x200, 0x280, 0x300, 0x400, 0x480, 0x500})
            s.append(".org 0x1800 + ").append(v).append("\n movz x21, #").append(v).append('\n').append(STOP).append('\n');
        s.append(".org 0x3000\nirq_handler:\n").append(irqHandler).append('\n').append(STOP).append('\n');
        s.append(".org 0x3800\nfiq_handler:\n").append(fiqHandler).append('\n').append(STOP).append('\n');
        TestMachine m = new TestMachine().load(s.toString());
        Cpu cpu = m.cpu;
        cpu.attachGicCpuInterface(physical);
        cpu.gicVirtualInterface().connectMaintenance(maintenance::add);
        maintenance.clear();
        cpu.hostOwnsEl2 = false;
        cpu.setElAndSpSel(2, 1);
        cpu.sr.vbar[1] = RAM + 0x800;
        cpu.sr.vbar[2] = RAM + 0x1800;
        cpu.sr.hcrEl2 = HCR;
        cpu.sr.elr[2] = EL1_CODE;
        cpu.sr.spsr[2] = 0x305; // EL1h, D and A masked, I and F not
        return m;
    }

    private TestMachine machine(String el2) {
        return machine(el2, "", "", "");
    }

    /** Runs to the next WFI stop. */
    private static void run(TestMachine m) {
        assertEquals(ExitReason.WAIT_FOR_INTERRUPT, m.run());
    }

    private static long reg(TestMachine m, String name) {
        return SysRegTable.read(m.cpu, name);
    }

    private static String mov(int x, long value) {
        return "ldr x" + x + ", =0x" + Long.toHexString(value) + "\n";
    }

    /** EL2 code that sets the list registers, ICH_VMCR_EL2 and ICH_HCR_EL2 and enters EL1. */
    private static String enter(long vmcr, long ichHcr, long... lrs) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < lrs.length; i++) s.append(mov(0, lrs[i])).append("msr ich_lr").append(i).append("_el2, x0\n");
        s.append(mov(0, vmcr)).append("msr ich_vmcr_el2, x0\n");
        s.append(mov(0, ichHcr)).append("msr ich_hcr_el2, x0\n");
        return s.append("eret\n").toString();
    }

    @Test
    void el2RegistersHoldTheirFieldsOnly() {
        TestMachine m = machine("""
                mrs x1, ich_vtr_el2
                mrs x2, ich_vmcr_el2
                mrs x3, ich_elrsr_el2
                mrs x4, ich_eisr_el2
                mrs x5, ich_misr_el2
                mov x0, #-1
                msr ich_lr3_el2, x0
                mrs x6, ich_lr3_el2
                msr ich_hcr_el2, x0
                mrs x7, ich_hcr_el2
                msr ich_ap1r0_el2, x0
                mrs x8, ich_ap1r0_el2
                msr ich_vmcr_el2, xzr
                mrs x9, ich_vmcr_el2
                msr ich_hcr_el2, xzr
                """);
        run(m);
        // ICH_VTR_EL2: PRIbits [31:29] = 4 and PREbits [28:26] = 4 (5 bits each), IDbits [25:23] = 1 (24 bits),
        // A3V [21], nV4 [20] (no direct injection), TDS [19] (TDIR supported), ListRegs [4:0] = 3 (4 LRs)
        assertEquals(0x90B8_0003L, m.x(1));
        // QEMU's reset: VFIQEn (RES1 without legacy operation), VBPR1 = 3 and VBPR0 = 2 (the minimums: 7 - PREbits)
        assertEquals((3L << 18) | (2L << 21) | 8, m.x(2));
        assertEquals(0xF, m.x(3), "ICH_ELRSR_EL2: every implemented list register is empty");
        assertEquals(0, m.x(4), "ICH_EISR_EL2: no EOI maintenance");
        assertEquals(0, m.x(5), "ICH_MISR_EL2: nothing enabled in ICH_HCR_EL2");
        // ICH_LR<n>_EL2 RES0: [59:56] (no NMI), [47:45], the 3 priority bits below the 5 implemented [50:48],
        // and vINTID [31:24] (24 ID bits)
        assertEquals(0xF0F8_1FFF_00FF_FFFFL, m.x(6));
        // ICH_HCR_EL2: EOIcount [31:27], TDIR [14], TALL1 [12], TALL0 [11], TC [10], the enables [7:0]; TSEI [13]
        // is RES0 without SEIS, vSGIEOICount [8] without GICv4.1
        assertEquals(0xF800_5CFFL, m.x(7));
        assertEquals(0xFFFF_FFFFL, m.x(8), "ICH_AP1R0_EL2: 32 preemption levels, one bit each");
        assertEquals((3L << 18) | (2L << 21) | 8, m.x(9), "binary points written below the minimum read as the minimum");
    }

    @Test
    void registersBeyondTheImplementedOnesAreUndefined() {
        // 4 list registers (ICH_LR4-15_EL2) and 32 preemption levels (ICH_AP<g>R1-3_EL2, ICV_AP<g>R1-3_EL1)
        for (String insn : new String[] {"mrs x1, ich_lr4_el2", "msr ich_lr15_el2, x1", "mrs x1, ich_ap0r1_el2", "msr ich_ap1r3_el2, x1"}) {
            TestMachine m = machine(insn);
            run(m);
            assertEquals(0x200, m.x(21), insn + ": Undefined Instruction at EL2");
            assertEquals(0, m.cpu.sr.esr[2] >>> 26, insn);
        }
        for (String insn : new String[] {"mrs x1, icc_ap0r1_el1", "msr icc_ap1r2_el1, x1"}) {
            TestMachine m = machine(enter(0, 0), insn, "", "");
            run(m);
            assertEquals(0x200, m.x(20), insn + ": Undefined Instruction at EL1");
            assertEquals(0, m.cpu.sr.esr[1] >>> 26, insn);
        }
    }

    /**
     * The whole life of a Group 1 interrupt: pending in LR0 at EL2, taken at EL1 as a virtual IRQ
     * (CanSignalVirtualInt: En, VENG1, priority below VPMR, nothing running), acknowledged by ICV_IAR1 (pending
     * -> active, its preemption level set in ICH_AP1R0), ended by ICV_EOIR1 (priority drop and, VEOIM being 0,
     * deactivation). Its EOI bit then asks for EOI maintenance.
     */
    @Test
    void groupOneInterruptIsTakenAcknowledgedAndEnded() {
        long lr0 = lr(PENDING, GROUP1, 0xA0, 27) | EOI;
        TestMachine m = machine(enter(VENG1 | VPMR_F0, 1, lr0), """
                mrs x6, isr_el1
                movz x7, #7
                """, """
                mrs x1, icc_hppir1_el1
                mrs x2, icc_iar1_el1
                mrs x3, icc_rpr_el1
                mrs x4, icc_hppir1_el1
                mrs x5, isr_el1
                wfi
                msr icc_eoir1_el1, x2
                mrs x8, icc_rpr_el1
                """, "");
        run(m);
        assertEquals(0x280, m.x(20), "the virtual IRQ is taken at EL1 (IRQ, current EL with SPx)");
        assertEquals(EL1_CODE, m.cpu.sr.elr[1], "before the first EL1 instruction: the ERET unmasked it");
        assertEquals(0, m.x(7));
        assertEquals(27, m.x(1), "ICV_HPPIR1: the highest-priority pending Group 1 vINTID");
        assertEquals(27, m.x(2), "ICV_IAR1 returns the vINTID");
        assertEquals(0xA0, m.x(3), "ICV_RPR: the running priority is the interrupt's group priority");
        assertEquals(1023, m.x(4), "nothing else pending: the spurious INTID");
        assertEquals(0, m.x(5), "ISR_EL1.I clear: the acknowledged interrupt no longer signals");
        assertEquals((lr0 & ~PENDING) | ACTIVE, reg(m, "ICH_LR0_EL2"), "acknowledged: pending -> active");
        // preemption level = group priority >> (8 - PREbits), with VBPR1 = 3: 0xA0 >> 3 = 20
        assertEquals(1L << 20, reg(m, "ICH_AP1R0_EL2"));
        assertEquals(0xF & ~1, reg(m, "ICH_ELRSR_EL2"), "LR0 holds an interrupt");
        assertTrue(physical.log.isEmpty(), "the physical interface is not touched: " + physical.log);

        run(m);
        assertEquals(0xFF, m.x(8), "ICV_EOIR1 dropped the priority: idle");
        assertEquals(0, reg(m, "ICH_AP1R0_EL2"));
        assertEquals(lr0 & ~PENDING, reg(m, "ICH_LR0_EL2"), "deactivated: invalid, the rest of the LR kept");
        // ICH_EISR_EL2: invalid, HW 0, EOI 1 -> the EOI maintenance interrupt, and the LR is not yet free
        assertEquals(1, reg(m, "ICH_EISR_EL2"));
        assertEquals(0xE, reg(m, "ICH_ELRSR_EL2"));
        assertEquals(1, reg(m, "ICH_MISR_EL2"), "ICH_MISR_EL2.EOI");
        assertEquals(List.of(true), maintenance, "the maintenance interrupt: En and MISR != 0");
        assertTrue(physical.log.isEmpty(), physical.log.toString());
    }

    @Test
    void maskedInterruptShowsInIsrAndIsTakenWhenUnmasked() {
        TestMachine m = machine(enter(VENG1 | VPMR_F0, 1, lr(PENDING, GROUP1, 0x80, 40)), """
                mrs x6, isr_el1
                msr daifclr, #2
                movz x7, #7
                """, "mrs x2, icc_iar1_el1", "");
        m.cpu.sr.spsr[2] = 0x3C5; // EL1h, all masked
        run(m);
        assertEquals(0x80, m.x(6), "ISR_EL1.I: the virtual IRQ is pending while masked");
        assertEquals(0x280, m.x(20));
        assertEquals(0, m.x(7), "taken right after the unmasking MSR");
        assertEquals(40, m.x(2));
    }

    /** Group 0 interrupts are virtual FIQs under FMO; ICV_IAR1 does not see them (a different group). */
    @Test
    void groupZeroIsAVirtualFiq() {
        TestMachine m = machine(enter(VENG0 | VPMR_F0, 1, lr(PENDING, 0, 0x40, 99)), "", "", """
                mrs x1, icc_iar1_el1
                mrs x2, icc_hppir0_el1
                mrs x3, icc_iar0_el1
                mrs x4, icc_rpr_el1
                msr icc_eoir0_el1, x3
                mrs x5, icc_rpr_el1
                """);
        run(m);
        assertEquals(0x300, m.x(20));
        assertEquals(1023, m.x(1));
        assertEquals(99, m.x(2));
        assertEquals(99, m.x(3));
        assertEquals(0x40, m.x(4));
        assertEquals(0xFF, m.x(5));
        assertEquals(0, reg(m, "ICH_LR0_EL2") >>> 62, "invalid after the EOI");
    }

    /**
     * With ICH_VMCR_EL2.VEOIM (ICV_CTLR_EL1.EOImode) an EOI only drops the priority; ICV_DIR deactivates.
     * A hardware LR's deactivation deactivates its pINTID at the physical interface.
     */
    @Test
    void eoiModeSplitsDropFromDeactivationAndHardwareInterruptsFollow() {
        long lr0 = lr(PENDING, GROUP1, 0x50, 27) | HW | (27L << 32); // the virtual timer, as KVM links it
        TestMachine m = machine(enter(VENG1 | VPMR_F0, 1, lr0), """
                mov x0, #2
                msr icc_ctlr_el1, x0
                mrs x9, icc_ctlr_el1
                msr daifclr, #3
                """, """
                mrs x2, icc_iar1_el1
                msr icc_eoir1_el1, x2
                mrs x3, icc_rpr_el1
                wfi
                msr icc_dir_el1, x2
                """, "");
        m.cpu.sr.spsr[2] = 0x3C5;
        run(m);
        // ICV_CTLR_EL1: A3V [15], IDbits [13:11] = 1 and PRIbits [10:8] = 4 as ICH_VTR_EL2, EOImode [1]
        assertEquals(0x8C02, m.x(9));
        assertEquals(27, m.x(2));
        assertEquals(0xFF, m.x(3), "the priority is dropped");
        assertEquals((lr0 & ~PENDING) | ACTIVE, reg(m, "ICH_LR0_EL2"), "still active: deactivation is ICV_DIR's");
        assertTrue(physical.log.isEmpty(), physical.log.toString());
        run(m);
        assertEquals(lr0 & ~PENDING, reg(m, "ICH_LR0_EL2"));
        assertEquals(List.of("deactivate 27"), physical.log, "the pINTID deactivated at the physical interface");
        assertEquals(0, reg(m, "ICH_EISR_EL2"), "a hardware LR never asks for EOI maintenance");
        assertEquals(0xF, reg(m, "ICH_ELRSR_EL2"));
    }

    @Test
    void hardwareInterruptEndedWithoutSplitIsDeactivatedByTheEoi() {
        long lr0 = lr(PENDING, GROUP1, 0x50, 30) | HW | (26L << 32);
        TestMachine m = machine(enter(VENG1 | VPMR_F0, 1, lr0), "", """
                mrs x2, icc_iar1_el1
                msr icc_eoir1_el1, x2
                """, "");
        run(m);
        assertEquals(30, m.x(2));
        assertEquals(List.of("deactivate 26"), physical.log);
    }

    /**
     * An EOI (VEOIM 0) or DIR (VEOIM 1) whose vINTID no list register holds active increments
     * ICH_HCR_EL2.EOIcount, which with LRENPIE raises ICH_MISR_EL2.LRENP: how KVM learns of interrupts it
     * took out of the list registers while they were active.
     */
    @Test
    void eoiWithNoMatchingListRegisterCountsInEoiCount() {
        long lrenpie = 4;
        TestMachine m = machine(mov(0, (1L << 20) | (1L << 16) | (1L << 12)) + "msr ich_ap1r0_el2, x0\n"
                + enter(VENG1 | VPMR_F0, 1 | lrenpie), """
                mov x0, #40
                msr icc_eoir1_el1, x0
                mrs x3, icc_rpr_el1
                wfi
                mov x0, #2
                msr icc_ctlr_el1, x0
                mov x0, #41
                msr icc_eoir1_el1, x0
                mrs x4, icc_rpr_el1
                msr icc_dir_el1, x0
                """, "", "");
        run(m);
        assertEquals(0x80, m.x(3), "the priority drops anyway (0x60 -> 0x80)");
        assertEquals((1L << 27) | 1 | lrenpie, reg(m, "ICH_HCR_EL2"), "EOIcount [31:27] = 1");
        assertEquals(4, reg(m, "ICH_MISR_EL2"), "ICH_MISR_EL2.LRENP");
        assertEquals(List.of(true), maintenance);
        run(m);
        assertEquals(0xA0, m.x(4), "with VEOIM the EOI only drops the priority");
        // the EOI with VEOIM would not have deactivated anything: not counted; the DIR would have: counted
        assertEquals((2L << 27) | 1 | lrenpie, reg(m, "ICH_HCR_EL2"), "EOIcount = 2");
    }

    /** ICH_MISR_EL2's conditions, each enabled by its ICH_HCR_EL2 bit (U, NP, VGrp0E/D, VGrp1E/D). */
    @Test
    void maintenanceConditions() {
        long uie = 2, npie = 8, vgrp0eie = 0x10, vgrp0die = 0x20, vgrp1eie = 0x40, vgrp1die = 0x80;
        TestMachine m = machine(mov(0, lr(PENDING, GROUP1, 0x80, 33)) + "msr ich_lr1_el2, x0\n" + mov(0, VENG1) + """
                msr ich_vmcr_el2, x0
                """ + mov(0, 1 | uie | npie | vgrp0die | vgrp1eie) + """
                msr ich_hcr_el2, x0
                mrs x1, ich_misr_el2
                msr ich_lr1_el2, xzr
                mrs x2, ich_misr_el2
                """ + mov(0, 1 | vgrp0eie | vgrp1die) + """
                msr ich_hcr_el2, x0
                mrs x3, ich_misr_el2
                msr ich_hcr_el2, xzr
                """);
        run(m);
        // one valid LR (< 2): U; a pending LR: no NP; VENG0 clear: VGrp0D; VENG1 set: VGrp1E
        assertEquals(0x2 | 0x20 | 0x40, m.x(1));
        // no valid LR: U and NP
        assertEquals(0x2 | 0x8 | 0x20 | 0x40, m.x(2));
        // VGrp0E needs VENG0, VGrp1D needs VENG1 clear: neither
        assertEquals(0, m.x(3));
        assertEquals(List.of(true, false), maintenance, "raised by the first ICH_HCR_EL2 write, lowered by the last");
    }

    @Test
    void priorityMaskAndRunningPriorityHoldInterruptsBack() {
        // VPMR 0x80 masks priority 0x80 (CanSignalVirtualInt: priority < VPMR)
        TestMachine m = machine(enter(VENG1 | (0x80L << 24), 1, lr(PENDING, GROUP1, 0x80, 50)), """
                mrs x1, icc_iar1_el1
                mrs x2, icc_hppir1_el1
                wfi
                mov x0, #0x88
                msr icc_pmr_el1, x0
                """, "mrs x3, icc_iar1_el1", "");
        run(m);
        assertEquals(0, m.x(20), "masked by VPMR: not taken, and WFI does not wake");
        assertEquals(1023, m.x(1), "ICV_IAR1 acknowledges nothing it could not signal");
        assertEquals(50, m.x(2), "ICV_HPPIR1 ignores the mask");
        assertEquals(PENDING, reg(m, "ICH_LR0_EL2") & (PENDING | ACTIVE));
        run(m);
        assertEquals(0x280, m.x(20), "VPMR 0x88 lets it through");
        assertEquals(50, m.x(3));
        assertEquals(0x88L, reg(m, "ICH_VMCR_EL2") >>> 24, "ICV_PMR_EL1 is ICH_VMCR_EL2.VPMR");

        // a running priority of the same group priority holds an interrupt back; a higher one preempts
        m = machine(mov(0, 1L << (0x60 >> 3)) + "msr ich_ap1r0_el2, x0\n"
                + enter(VENG1 | VPMR_F0, 1, lr(PENDING, GROUP1, 0x60, 51), lr(PENDING, GROUP1, 0x58, 52)),
                "", "mrs x3, icc_iar1_el1", "");
        run(m);
        assertEquals(0x280, m.x(20));
        assertEquals(52, m.x(3), "0x58 preempts the running 0x60; 0x60 would not");
    }

    @Test
    void icvRegistersAreViewsOfVmcr() {
        TestMachine m = machine(enter(0, 0), """
                mov x0, #0xff
                msr icc_pmr_el1, x0
                msr icc_bpr0_el1, xzr
                mov x0, #7
                msr icc_bpr1_el1, x0
                mov x0, #1
                msr icc_igrpen1_el1, x0
                mrs x1, icc_igrpen1_el1
                mrs x2, icc_igrpen0_el1
                mrs x3, icc_bpr0_el1
                mrs x4, icc_bpr1_el1
                mov x0, #1
                msr icc_ctlr_el1, x0
                mrs x5, icc_bpr1_el1
                mrs x6, icc_rpr_el1
                """, "", "");
        run(m);
        // VPMR 0xF8 (5 priority bits), VBPR0 2 (its minimum), VBPR1 7, VENG1, VFIQEn, VCBPR
        assertEquals((0xF8L << 24) | (2L << 21) | (7L << 18) | 0x10 | 8 | 2, reg(m, "ICH_VMCR_EL2"));
        assertEquals(1, m.x(1));
        assertEquals(0, m.x(2));
        assertEquals(2, m.x(3));
        assertEquals(7, m.x(4));
        assertEquals(3, m.x(5), "with VCBPR, ICV_BPR1 reads VBPR0 + 1");
        assertEquals(0xFF, m.x(6));
        assertTrue(physical.log.isEmpty(), physical.log.toString());
    }

    /** ICH_HCR_EL2.TALL0/TALL1/TC/TDIR trap EL1's accesses to EL2 with the system register syndrome (EC 0x18). */
    @Test
    void ichTrapsGiveTheSystemRegisterSyndrome() {
        record Trap(long bit, String insn, int crn, int crm, int op2, boolean read, long hcr) {}
        for (Trap t : new Trap[] {
                new Trap(1L << 12, "mrs x3, icc_iar1_el1", 12, 12, 0, true, HCR),
                new Trap(1L << 12, "msr icc_ap1r0_el1, x3", 12, 9, 0, false, HCR),
                new Trap(1L << 11, "msr icc_igrpen0_el1, x3", 12, 12, 6, false, HCR),
                new Trap(1L << 11, "mrs x3, icc_hppir0_el1", 12, 8, 2, true, HCR),
                new Trap(1L << 10, "mrs x3, icc_pmr_el1", 4, 6, 0, true, HCR),
                new Trap(1L << 14, "msr icc_dir_el1, x3", 12, 11, 1, false, HCR),
                // the traps cover the ICC registers too (IMO and FMO clear: the physical interface)
                new Trap(1L << 10, "mrs x3, icc_ctlr_el1", 12, 12, 4, true, SystemRegisters.HCR_RW),
        }) {
            TestMachine m = machine(enter(VENG1, t.bit), t.insn, "", "");
            m.cpu.sr.hcrEl2 = t.hcr;
            run(m);
            assertEquals(0x400, m.x(21), t.insn + ": synchronous exception from a lower EL");
            assertEquals(EL1_CODE, m.cpu.sr.elr[2], t.insn);
            long esr = ((long) Esr.EC_SYS64 << 26) | (1L << 25) | Esr.sysRegSyndrome(3, 0, t.crn, t.crm, t.op2, 3, t.read);
            assertEquals(esr, m.cpu.sr.esr[2], t.insn);
            assertTrue(physical.log.isEmpty(), t.insn + ": " + physical.log);
        }
        // TALL1 leaves Group 0 alone
        TestMachine m = machine(enter(VENG1, 1L << 12), "mrs x3, icc_iar0_el1", "", "");
        run(m);
        assertEquals(0, m.x(21));
        assertEquals(1023, m.x(3));
    }

    /**
     * Which interface answers: ICV_ at EL1 only for the groups HCR_EL2.IMO/FMO route to the guest
     * hypervisor; EL2 itself, and EL1 when the host owns EL2 (its GIC model stands in), reach the physical one.
     */
    @Test
    void routingChoosesTheVirtualOrThePhysicalInterface() {
        TestMachine m = machine(enter(0, 0), """
                mrs x1, icc_iar0_el1
                mrs x2, icc_iar1_el1
                mrs x3, icc_pmr_el1
                """, "", "");
        m.cpu.sr.hcrEl2 = SystemRegisters.HCR_RW | SystemRegisters.HCR_IMO;
        run(m);
        assertEquals(List.of("read IAR0"), physical.log, "IMO alone: Group 0 stays physical, PMR is virtual");
        assertEquals(1023, m.x(2));

        physical.log.clear();
        m = machine("mrs x1, icc_pmr_el1\nmrs x2, icc_iar1_el1");
        run(m);
        assertEquals(List.of("read PMR", "read IAR1"), physical.log, "at EL2");

        physical.log.clear();
        m = machine("", "mrs x1, icc_pmr_el1\nmrs x2, icc_iar1_el1", "", "");
        m.cpu.setElAndSpSel(1, 1);
        m.cpu.pc = EL1_CODE;
        m.cpu.hostOwnsEl2 = true;
        run(m);
        assertEquals(List.of("read PMR", "read IAR1"), physical.log, "the host owns EL2");
    }

    /** WFI wakes for a virtual interrupt the GIC signals even while PSTATE.I masks it. */
    @Test
    void wfiWakesForAMaskedVirtualInterrupt() {
        TestMachine m = machine(enter(VENG1 | VPMR_F0, 1, lr(PENDING, GROUP1, 0x80, 60)), """
                wfi
                movz x7, #7
                hvc #0
                """, "", "");
        m.cpu.sr.spsr[2] = 0x3C5;
        run(m);
        assertEquals(7, m.x(7), "the WFI completed");
        assertEquals(0x400, m.x(21), "then the HVC reached EL2, where the virtual IRQ is not taken");
        assertEquals(0, m.x(20));
        assertFalse(m.cpu.interruptPending(), "at EL2 the virtual interrupt does not count");
    }

    @Test
    void disabledInterfaceSignalsNothing() {
        TestMachine m = machine(enter(VENG1 | VPMR_F0, 0, lr(PENDING, GROUP1, 0x80, 61)), "mrs x1, icc_iar1_el1", "", "");
        run(m);
        assertEquals(0, m.x(20), "ICH_HCR_EL2.En clear");
        assertEquals(1023, m.x(1));
        assertEquals(0, m.cpu.virtualLines);
    }
}
