package org.jvisor.hyp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.SysRegTable;
import org.jvisor.cpu.SystemRegisters;

/**
 * The processor's GICv3 virtual CPU interface wired to this GIC: its maintenance interrupt is PPI 25 (the
 * virt board's, and the "interrupts = <1 9 4>" of QEMU's GIC node), and a hardware-linked list register's
 * deactivation deactivates its physical INTID in the GIC (IHI 0069: ICH_LR&lt;n&gt;_EL2.HW). Register
 * accesses are made from the host side, as the guest hypervisor would make them at EL2 and its guest at EL1.
 */
class VgicVirtualInterfaceTest {
    private final Vm vm = new Hypervisor().createVm();
    private final Vcpu vcpu = vm.createVcpu(0);
    private final Vgic gic = Vgic.create(vm, 3);
    private final Cpu cpu = vcpu.cpu;

    @Test
    void maintenanceInterruptIsPpi25() {
        assertFalse(gic.bit(gic.level, 0, Vgic.PPI_MAINTENANCE));
        // ICH_HCR_EL2.En | NPIE with no pending list register: ICH_MISR_EL2.NP, so the maintenance interrupt
        SysRegTable.write(cpu, "ICH_HCR_EL2", 1 | 8);
        assertTrue(gic.bit(gic.level, 0, Vgic.PPI_MAINTENANCE));
        SysRegTable.write(cpu, "ICH_HCR_EL2", 0);
        assertFalse(gic.bit(gic.level, 0, Vgic.PPI_MAINTENANCE));
    }

    @Test
    void hardwareListRegisterDeactivatesThePhysicalInterrupt() {
        int timer = 27;
        synchronized (gic.lock) {
            gic.active[gic.slot(0, 0)] |= 1 << timer; // the host acknowledged the virtual timer's PPI
        }
        cpu.hostOwnsEl2 = false; // the guest's hypervisor owns EL2 and has handed the interrupt to its guest
        cpu.sr.hcrEl2 = SystemRegisters.HCR_RW | SystemRegisters.HCR_IMO | SystemRegisters.HCR_FMO;
        SysRegTable.write(cpu, "ICH_LR0_EL2", (1L << 63) | (1L << 61) | (1L << 60) | (0xA0L << 48) | ((long) timer << 32) | timer);
        SysRegTable.write(cpu, "ICH_AP1R0_EL2", 1L << (0xA0 >> 3));
        SysRegTable.write(cpu, "ICH_HCR_EL2", 1);
        assertTrue(gic.bit(gic.active, 0, timer));
        SysRegTable.write(cpu, "ICC_EOIR1_EL1", timer); // the guest's EOI at EL1: ICV_EOIR1_EL1
        assertEquals(0, SysRegTable.read(cpu, "ICH_LR0_EL2") >>> 62, "the virtual interface took the EOI: LR0 invalid");
        assertFalse(gic.bit(gic.active, 0, timer), "the physical PPI is no longer active");
    }
}
