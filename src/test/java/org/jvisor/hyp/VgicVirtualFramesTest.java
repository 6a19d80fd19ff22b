package org.jvisor.hyp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.jvisor.cpu.Cpu;

/**
 * A GICv2 with the virtualization extensions when the guest owns EL2: the GICH and GICV frames at QEMU
 * virt's addresses and offsets (IHI 0048B tables 5-1 and 5-7; QEMU 7.2's gic_hyp_read / gic_cpu_read for a
 * vCPU), reaching the accessing vCPU's virtual CPU interface, its maintenance interrupt on PPI 25 and its
 * hardware-linked list registers deactivating the physical interrupt in this GIC. The frames are called as
 * the bus calls them, with the accessing vCPU.
 */
class VgicVirtualFramesTest {
    private final Vm vm = new Hypervisor().createVmOwningEl2(GuestClock.HOST);
    private final Vcpu vcpu = vm.createVcpu(0);
    private final Vgic gic = Vgic.create(vm, 2);
    private final Cpu cpu = vcpu.cpu;
    private final VcpuMmioHandler gich = VgicVirtualFrames.hypervisorControl(), gicv = VgicVirtualFrames.virtualCpuInterface();

    private long h(long off) { return gich.read(vcpu, off, 4); }

    private void h(long off, long value) { gich.write(vcpu, off, 4, value); }

    private long v(long off) { return gicv.read(vcpu, off, 4); }

    private void v(long off, long value) { gicv.write(vcpu, off, 4, value); }

    @Test
    void onlyWhenTheGuestOwnsEl2() {
        assertTrue(gic.hasVirtualizationExtensions());
        assertNotNull(cpu.gicVirtualInterface());
        assertNull(cpu.gicCpuInterface(), "a GICv2 has no system register interface");
        Vm host = new Hypervisor().createVm();
        Vcpu v = host.createVcpu(0);
        assertFalse(Vgic.create(host, 2).hasVirtualizationExtensions());
        assertNull(v.cpu.gicVirtualInterface());
    }

    @Test
    void gichRegistersAtTheirOffsets() {
        assertEquals(0x9000_0003L, h(0x04), "GICH_VTR: 4 list registers, PREbits and PRIbits 5 (QEMU)");
        h(0x100 + 4 * 3, 0x5000_0021L);
        assertEquals(0x5000_0021L, h(0x10C), "GICH_LR3");
        assertEquals(0, h(0x110), "GICH_LR4: not implemented, RAZ");
        assertEquals(0b0111, h(0x30), "GICH_ELRSR0: LR3 holds an interrupt");
        assertEquals(0, h(0x34), "GICH_ELRSR1");
        h(0x00, 1 | 8);
        assertEquals(9, h(0x00), "GICH_HCR");
        assertEquals(0, h(0x10), "GICH_MISR: LR3 is pending, so no NP");
        h(0xF0, 1 << 16);
        assertEquals(1 << 16, h(0xF0), "GICH_APR");
        assertEquals(1 << 16, v(0xD0), "GICV_APR0 is GICH_APR");
        assertEquals(0x80, v(0x14), "GICV_RPR: level 16 of 32 is priority 0x80");
        gich.write(vcpu, 0x00, 1, 0);
        assertEquals(9, h(0x00), "a byte write is ignored");
        assertEquals(0, gich.read(vcpu, 0x00, 2), "a halfword read is RAZ");
    }

    @Test
    void gichVmcrIsTheGicvState() {
        v(0x00, 0x21F);
        v(0x04, 0xFF);
        v(0x08, 5);
        v(0x1C, 6);
        assertEquals(0x21F, v(0x00), "GICV_CTLR: EnableGrp0/1, AckCtl, FIQEn, CBPR, EOImode");
        assertEquals(0xF8, v(0x04), "GICV_PMR: 5 bits");
        assertEquals(5, v(0x08), "GICV_BPR");
        assertEquals(6, v(0x1C), "GICV_ABPR");
        assertEquals(0x1FL << 27 | 5 << 21 | 6 << 18 | 0x21F, h(0x08), "GICH_VMCR: VMPriMask, VMBP, VMABP, VMCCtlr");
        h(0x08, 0);
        assertEquals(2, v(0x08), "GICV_BPR's minimum");
        assertEquals(3, v(0x1C), "GICV_ABPR's minimum");
        assertEquals(0x0002_043BL, v(0xFC), "GICV_IIDR: QEMU's GICv2");
    }

    @Test
    void maintenanceInterruptIsPpi25() {
        assertFalse(gic.bit(gic.level, 0, Vgic.PPI_MAINTENANCE));
        h(0x00, 1 | 8); // En | NPIE with no pending list register: GICH_MISR.NP
        assertTrue(gic.bit(gic.level, 0, Vgic.PPI_MAINTENANCE));
        h(0x00, 0);
        assertFalse(gic.bit(gic.level, 0, Vgic.PPI_MAINTENANCE));
    }

    @Test
    void hardwareListRegisterDeactivatesThePhysicalInterrupt() {
        int timer = 27;
        synchronized (gic.lock) {
            gic.active[gic.slot(0, 0)] |= 1 << timer; // the guest's hypervisor acknowledged the virtual timer's PPI
        }
        h(0x100, 1L << 31 | 1L << 30 | 1L << 28 | (0xA0 >> 3) << 23 | timer << 10 | timer); // HW, Grp1, pending
        h(0x08, 0x1FL << 27 | 2 | 4); // EnableGrp1, AckCtl, PMR 0xF8
        h(0x00, 1);
        assertEquals(timer, v(0x0C), "GICV_IAR");
        assertTrue(gic.bit(gic.active, 0, timer));
        v(0x10, timer); // GICV_EOIR, EOImode 0
        assertEquals(0, h(0x100) >>> 28 & 3, "the EOI deactivated LR0");
        assertFalse(gic.bit(gic.active, 0, timer), "and the physical PPI");
    }

    @Test
    void gicvDirAtTheSecondPage() {
        h(0x100, 2L << 28 | (0x80 >> 3) << 23 | 40); // active
        h(0x08, 1 | 1 << 9); // EnableGrp0, EOImode
        h(0x00, 1);
        v(0x1000, 40);
        assertEquals(0, h(0x100) >>> 28 & 3, "GICV_DIR at 0x1000 deactivated LR0");
    }
}
