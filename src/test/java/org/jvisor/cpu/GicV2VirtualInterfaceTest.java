package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The GICv2 front end of the processor's virtual CPU interface against the GIC architecture v2 (IHI 0048B
 * chapter 5, "GIC Support for Virtualization": GICH_HCR, VMCR, MISR, EISR, ELRSR, APR, LRn and the GICV_
 * registers) and, where the architecture leaves a choice, QEMU 7.2's arm_gic.c (named beside the check).
 * The interrupt controller's GICH and GICV frames call these methods; the virtual IRQ/FIQ they drive is
 * the processor's {@link Cpu#virtualLines}.
 */
class GicV2VirtualInterfaceTest {
    // GICH_LR<n>: VirtualID [9:0], PhysicalID [19:10] (HW 1) or CPUID [12:10] and EOI [19] (HW 0),
    // Priority [27:23] (priority bits [7:3]), State [29:28] (01 pending, 10 active), Grp1 [30], HW [31]
    static final int PENDING = 1 << 28, ACTIVE = 2 << 28, GRP1 = 1 << 30, HW = 1 << 31, EOI = 1 << 19;
    // GICH_VMCR: VMCCtlr [9:0] = GICV_CTLR (EnableGrp0 [0], EnableGrp1 [1], AckCtl [2], FIQEn [3], CBPR [4],
    // EOImode [9]), VMABP [20:18], VMBP [23:21], VMPriMask [31:27]
    static final int GRP0_EN = 1, GRP1_EN = 2, ACKCTL = 4, FIQEN = 8, EOIMODE = 1 << 9, PRIMASK_F8 = 0x1F << 27;
    // GICH_HCR: En [0], UIE [1], LRENPIE [2], NPIE [3], EOICount [31:27]
    static final int EN = 1, UIE = 2, LRENPIE = 4, NPIE = 8;

    final Cpu cpu = new TestMachine().cpu;
    final List<Integer> deactivated = new ArrayList<>();
    final List<Boolean> maintenance = new ArrayList<>();
    final GicVirtualInterface v = cpu.attachGicV2VirtualInterface(deactivated::add);

    GicV2VirtualInterfaceTest() {
        v.connectMaintenance(maintenance::add);
        maintenance.clear();
    }

    static int lr(int state, int group, int priority, int vid) {
        return state | group | (priority >> 3) << 23 | vid;
    }

    @Test
    void theSystemRegisterInterfaceStaysUndefined() {
        assertEquals(0, (SysRegTable.read(cpu, "ID_AA64PFR0_EL1") >>> 24) & 0xF, "ID_AA64PFR0_EL1.GIC: no GICv3 system registers");
        assertNull(cpu.gicCpuInterface(), "so the ICC_ and ICH_ registers are UNDEFINED");
    }

    @Test
    void registersHoldTheirFieldsOnly() {
        // QEMU's reset: GICV_CTLR 0, the minimum binary points (VMBP 2, VMABP 3: 5 bits of preemption), PMR 0
        assertEquals(2 << 21 | 3 << 18, v.gichVmcr());
        v.writeGichLr(0, -1);
        assertEquals(0xFF8F_FFFF, v.gichLr(0), "GICH_LR [22:20] are RES0");
        v.writeGichHcr(-1);
        assertEquals(0xF800_00FF, v.gichHcr(), "GICH_HCR: En..VGrp1DIE [7:0], EOICount [31:27]");
        v.writeGichVmcr(-1);
        assertEquals(0xF8FC_021F, v.gichVmcr(), "GICH_VMCR: VMPriMask, VMBP, VMABP, VMCCtlr's EOImode, CBPR, FIQEn, AckCtl, enables");
        v.writeGichVmcr(0);
        assertEquals(2 << 21 | 3 << 18, v.gichVmcr(), "a binary point below its minimum reads as the minimum");
        v.writeGichApr(0x8000_0001);
        assertEquals(0x8000_0001, v.gichApr());
    }

    @Test
    void emptyAndEoiListRegisters() {
        v.writeGichLr(0, lr(0, 0, 0x80, 40) | EOI);
        v.writeGichLr(1, lr(PENDING, GRP1, 0x80, 41) | EOI);
        v.writeGichLr(2, lr(0, 0, 0x80, 27) | HW | EOI); // EOI is PhysicalID bit 9 when HW: no maintenance
        assertEquals(0b0001, v.gichEisr(), "GICH_EISR0: invalid, not HW, EOI");
        assertEquals(0b1100, v.gichElrsr(), "GICH_ELRSR0: invalid and no EOI maintenance pending");
        assertEquals(1, v.gichMisr(), "GICH_MISR.EOI");
        assertEquals(List.of(), maintenance, "GICH_HCR.En is 0: no maintenance interrupt");
        v.writeGichHcr(EN);
        assertEquals(List.of(true), maintenance);
        assertEquals(lr(0, 0, 0x80, 27) | HW | EOI, v.gichLr(2), "PhysicalID kept whole");
    }

    @Test
    void sgiAcknowledgeCarriesTheSourceCpuAndEoiDeactivates() {
        v.writeGichLr(0, lr(PENDING, 0, 0x80, 5) | 3 << 10);
        v.writeGichVmcr(GRP0_EN | PRIMASK_F8);
        assertEquals(0, cpu.virtualLines, "GICH_HCR.En is 0");
        v.writeGichHcr(EN);
        assertEquals(SystemRegisters.HCR_VI, cpu.virtualLines, "Group 0 without FIQEn is an IRQ");
        assertEquals(5 | 3 << 10, v.gicvHighestPending(false));
        assertEquals(5 | 3 << 10, v.gicvAcknowledge(false), "GICV_IAR: CPUID [12:10] from the list register");
        assertEquals(lr(ACTIVE, 0, 0x80, 5) | 3 << 10, v.gichLr(0));
        assertEquals(1 << (0x80 >> 3), v.gichApr(), "one bit per preemption level (priority >> 3)");
        assertEquals(0x80, v.runningPriority());
        assertEquals(0, cpu.virtualLines);
        assertEquals(1023, v.gicvAcknowledge(false), "nothing else pending");
        v.gicvEndOfInterrupt(5 | 3 << 10);
        assertEquals(lr(0, 0, 0x80, 5) | 3 << 10, v.gichLr(0), "EOImode 0: the EOI deactivates");
        assertEquals(0, v.gichApr());
        assertEquals(0xFF, v.runningPriority());
    }

    @Test
    void groupOneNeedsAckCtlOrTheAliases() {
        v.writeGichLr(1, lr(PENDING, GRP1, 0x40, 33));
        v.writeGichHcr(EN);
        v.writeGichVmcr(GRP1_EN | (0x40 >> 3) << 27);
        assertEquals(1023, v.gicvAcknowledge(false), "QEMU: 1022 only for an interrupt that passes the priority mask");
        v.writeGichVmcr(GRP1_EN | PRIMASK_F8);
        assertEquals(SystemRegisters.HCR_VI, cpu.virtualLines);
        assertEquals(1022, v.gicvHighestPending(false), "GICV_HPPIR: a Group 1 interrupt without AckCtl");
        assertEquals(1022, v.gicvAcknowledge(false), "GICV_IAR: 1022, and it stays pending");
        assertEquals(lr(PENDING, GRP1, 0x40, 33), v.gichLr(1));
        assertEquals(33, v.gicvHighestPending(true), "GICV_AHPPIR");
        assertEquals(33, v.gicvAcknowledge(true), "GICV_AIAR");
        v.gicvEndOfInterrupt(33); // GICV_AEOIR
        assertEquals(0, v.gichLr(1) & (PENDING | ACTIVE));
        v.writeGichLr(1, lr(PENDING, GRP1, 0x40, 34));
        v.writeGichVmcr(GRP1_EN | ACKCTL | PRIMASK_F8);
        assertEquals(34, v.gicvAcknowledge(false), "with AckCtl GICV_IAR acknowledges Group 1 too");
        v.writeGichLr(2, lr(PENDING, 0, 0x20, 35));
        v.writeGichVmcr(GRP0_EN | PRIMASK_F8);
        assertEquals(1023, v.gicvAcknowledge(true), "GICV_AIAR never acknowledges Group 0");
    }

    @Test
    void groupZeroIsAVirtualFiqWithFiqEn() {
        v.writeGichLr(0, lr(PENDING, 0, 0x80, 40));
        v.writeGichVmcr(GRP0_EN | FIQEN | PRIMASK_F8);
        v.writeGichHcr(EN);
        assertEquals(SystemRegisters.HCR_VF, cpu.virtualLines);
    }

    @Test
    void priorityMaskAndRunningPriorityHoldInterruptsBack() {
        v.writeGichLr(0, lr(PENDING, 0, 0x80, 40));
        v.writeGichHcr(EN);
        v.writeGichVmcr(GRP0_EN | (0x80 >> 3) << 27);
        assertEquals(0, cpu.virtualLines, "priority 0x80 does not pass a mask of 0x80");
        assertEquals(1023, v.gicvHighestPending(false), "QEMU: GICV_HPPIR only shows what passes the mask");
        assertEquals(1023, v.gicvAcknowledge(false));
        v.writeGichVmcr(GRP0_EN | PRIMASK_F8);
        v.writeGichApr(1 << (0x80 >> 3));
        assertEquals(0, cpu.virtualLines, "an active 0x80 is not preempted by 0x80");
        v.writeGichApr(1 << (0x88 >> 3));
        assertEquals(SystemRegisters.HCR_VI, cpu.virtualLines, "0x80 preempts 0x88 (BPR 2: groups of 8)");
    }

    @Test
    void eoiModeSplitsDropFromDeactivationAndHardwareInterruptsFollow() {
        v.writeGichLr(0, lr(PENDING, GRP1, 0xA0, 27) | HW | 27 << 10); // the virtual timer, as KVM links it
        v.writeGichVmcr(GRP1_EN | ACKCTL | EOIMODE | PRIMASK_F8);
        v.writeGichHcr(EN);
        assertEquals(27, v.gicvAcknowledge(false), "a hardware interrupt has no CPUID");
        v.gicvEndOfInterrupt(27);
        assertEquals(0xFF, v.runningPriority(), "the priority is dropped");
        assertEquals(lr(ACTIVE, GRP1, 0xA0, 27) | HW | 27 << 10, v.gichLr(0), "still active: deactivation is GICV_DIR's");
        assertEquals(List.of(), deactivated);
        v.gicvDeactivate(27);
        assertEquals(lr(0, GRP1, 0xA0, 27) | HW | 27 << 10, v.gichLr(0));
        assertEquals(List.of(27), deactivated, "the PhysicalID deactivated at the physical CPU interface");
        assertEquals(0, v.gichEisr());
        assertEquals(0xF, v.gichElrsr());
    }

    @Test
    void hardwareSgiIsNotDeactivated() {
        v.writeGichLr(0, lr(PENDING, 0, 0xA0, 40) | HW | 3 << 10);
        v.writeGichVmcr(GRP0_EN | PRIMASK_F8);
        v.writeGichHcr(EN);
        assertEquals(40, v.gicvAcknowledge(false));
        v.gicvEndOfInterrupt(40);
        assertEquals(0, v.gichLr(0) & (PENDING | ACTIVE));
        assertEquals(List.of(), deactivated, "QEMU: a PhysicalID below 16 is ignored (UNPREDICTABLE)");
    }

    @Test
    void eoiWithNoMatchingListRegisterCountsInEoiCount() {
        v.writeGichApr(1 << (0x60 >> 3) | 1 << (0x80 >> 3));
        v.writeGichVmcr(GRP1_EN | PRIMASK_F8);
        v.writeGichHcr(EN | LRENPIE);
        v.gicvEndOfInterrupt(40);
        assertEquals(0x80, v.runningPriority(), "the priority drops anyway (0x60 -> 0x80)");
        assertEquals(1 << 27 | EN | LRENPIE, v.gichHcr(), "EOICount [31:27] = 1");
        assertEquals(4, v.gichMisr(), "GICH_MISR.LRENP");
        assertEquals(List.of(true), maintenance);
        v.writeGichVmcr(GRP1_EN | EOIMODE | PRIMASK_F8);
        v.gicvEndOfInterrupt(41);
        assertEquals(1 << 27 | EN | LRENPIE, v.gichHcr(), "with EOImode the EOI would deactivate nothing: not counted");
        v.gicvDeactivate(41);
        assertEquals(2 << 27 | EN | LRENPIE, v.gichHcr(), "the GICV_DIR would have: counted");
        v.gicvDeactivate(1023);
        assertEquals(2 << 27 | EN | LRENPIE, v.gichHcr(), "a special INTID is ignored");
    }

    @Test
    void maintenanceConditions() {
        v.writeGichHcr(EN | UIE);
        assertEquals(2, v.gichMisr(), "U: fewer than two valid list registers");
        assertEquals(List.of(true), maintenance);
        v.writeGichLr(0, lr(ACTIVE, 0, 0x80, 40));
        v.writeGichLr(1, lr(ACTIVE, 0, 0x80, 41));
        assertEquals(0, v.gichMisr());
        assertEquals(List.of(true, false), maintenance);
        v.writeGichHcr(EN | NPIE | 0x10 | 0x80);
        assertEquals(8 | 0x80, v.gichMisr(), "NP (no pending list register), VGrp1D (Group 1 disabled)");
        v.writeGichVmcr(GRP0_EN | GRP1_EN);
        assertEquals(8 | 0x10, v.gichMisr(), "VGrp0E (Group 0 enabled)");
        assertTrue(v.maintenanceLevel());
    }
}
