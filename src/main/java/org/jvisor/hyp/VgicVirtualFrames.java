package org.jvisor.hyp;

import org.jvisor.cpu.GicVirtualInterface;

/**
 * The GICv2 virtualization extensions' two memory-mapped frames (IHI 0048B chapter 5) for a guest that owns
 * EL2: GICH, the virtual interface control its hypervisor programs, and GICV, the virtual CPU interface its
 * own guests reach through stage 2 where they expect a GICC. Both are banked: they show the accessing vCPU's
 * {@link GicVirtualInterface} (the processor's state, which drives its virtual IRQ/FIQ), which holds the
 * list-register rules; this class only decodes offsets. As QEMU's virt board, only these two frames are
 * mapped, not GICH's per-processor aliases (arm_gic.c creates them, virt.c maps none).
 *
 * <p>Accesses are 32-bit; any other width, and unallocated offsets, are RAZ/WI as on the GICC frame.
 * GICV_AIAR, AEOIR and AHPPIR are the Group 1 aliases the architecture lists (QEMU 7.2 leaves them RAZ/WI).
 */
final class VgicVirtualFrames {
    /** QEMU virt's VIRT_GIC_HYP and VIRT_GIC_VCPU: 64 KiB each. */
    static final long GICH_BASE = 0x0803_0000L, GICV_BASE = 0x0804_0000L, FRAME_SIZE = 0x1_0000L;
    /**
     * GICH_VTR, as QEMU's: ListRegs [5:0] = 3, PREbits [28:26] = 4, PRIbits [31:29] = 4 (fields hold bits - 1).
     */
    static final int VTR = (GicVirtualInterface.LIST_REGISTERS - 1) | (GicVirtualInterface.PRE_BITS - 1) << 26
            | (GicVirtualInterface.PRI_BITS - 1) << 29;
    /** GICV_IIDR: QEMU answers the GICC_IIDR of a GICv2 (revision 2, Arm's JEP106 code). */
    static final int GICV_IIDR = VgicCpuInterface.GICC_IIDR;
    // GICH_VMCR fields: VMCCtlr [9:0] is GICV_CTLR's EnableGrp0/1, AckCtl, FIQEn, CBPR, EOImode; VMABP [20:18];
    // VMBP [23:21]; VMPriMask [31:27] is GICV_PMR [7:3]
    private static final int CTLR_MASK = VgicCpuInterface.GICC_CTLR_MASK, ABP_SHIFT = 18, BP_SHIFT = 21, PRIMASK_SHIFT = 27;

    private VgicVirtualFrames() {}

    private static GicVirtualInterface of(Vcpu v) { return v.cpu.gicVirtualInterface(); }

    /** GICH: the virtual interface control registers. */
    static VcpuMmioHandler hypervisorControl() {
        return new VcpuMmioHandler() {
            @Override
            public long read(Vcpu v, long off, int size) {
                if (size != 4 || (off & 3) != 0) return 0;
                GicVirtualInterface g = of(v);
                int o = (int) off;
                int value = switch (o) {
                    case 0x00 -> g.gichHcr();
                    case 0x04 -> VTR;
                    case 0x08 -> g.gichVmcr();
                    case 0x10 -> g.gichMisr();
                    case 0x20 -> g.gichEisr();
                    case 0x30 -> g.gichElrsr();
                    case 0xF0 -> g.gichApr();
                    default -> lr(o) >= 0 ? g.gichLr(lr(o)) : 0; // EISR1, ELRSR1 (LRs 32-63): none
                };
                return value & 0xFFFF_FFFFL;
            }

            @Override
            public void write(Vcpu v, long off, int size, long value) {
                if (size != 4 || (off & 3) != 0) return;
                GicVirtualInterface g = of(v);
                int o = (int) off, x = (int) value;
                switch (o) {
                    case 0x00 -> g.writeGichHcr(x);
                    case 0x08 -> g.writeGichVmcr(x);
                    case 0xF0 -> g.writeGichApr(x);
                    default -> {
                        if (lr(o) >= 0) g.writeGichLr(lr(o), x);
                    }
                }
            }
        };
    }

    /** The list register at GICH offset {@code o} (GICH_LR0 at 0x100), or -1 if it is not one implemented. */
    private static int lr(int o) {
        int n = (o - 0x100) >> 2;
        return o >= 0x100 && n < GicVirtualInterface.LIST_REGISTERS ? n : -1;
    }

    /** GICV: the virtual CPU interface, at the GICC offsets. */
    static VcpuMmioHandler virtualCpuInterface() {
        return new VcpuMmioHandler() {
            @Override
            public long read(Vcpu v, long off, int size) {
                if (size != 4 || (off & 3) != 0) return 0;
                GicVirtualInterface g = of(v);
                int vmcr = g.gichVmcr();
                int value = switch ((int) off) {
                    case 0x00 -> vmcr & CTLR_MASK;
                    case 0x04 -> (vmcr >>> PRIMASK_SHIFT) << 3;
                    case 0x08 -> (vmcr >>> BP_SHIFT) & 7;
                    case 0x0C -> g.gicvAcknowledge(false);
                    case 0x14 -> g.runningPriority();
                    case 0x18 -> g.gicvHighestPending(false);
                    case 0x1C -> (vmcr >>> ABP_SHIFT) & 7;
                    case 0x20 -> g.gicvAcknowledge(true);
                    case 0x28 -> g.gicvHighestPending(true);
                    case 0xD0 -> g.gichApr();
                    case 0xFC -> GICV_IIDR;
                    default -> 0; // EOIR, AEOIR, DIR (write-only); APR1-3 and NSAPR0-3: none with 5 priority bits
                };
                return value & 0xFFFF_FFFFL;
            }

            @Override
            public void write(Vcpu v, long off, int size, long value) {
                if (size != 4 || (off & 3) != 0) return;
                GicVirtualInterface g = of(v);
                int vmcr = g.gichVmcr(), x = (int) value;
                switch ((int) off) {
                    case 0x00 -> g.writeGichVmcr(vmcr & ~CTLR_MASK | x & CTLR_MASK);
                    case 0x04 -> g.writeGichVmcr(vmcr & ~(0x1F << PRIMASK_SHIFT) | (x >>> 3 & 0x1F) << PRIMASK_SHIFT);
                    case 0x08 -> g.writeGichVmcr(vmcr & ~(7 << BP_SHIFT) | (x & 7) << BP_SHIFT);
                    case 0x10, 0x24 -> g.gicvEndOfInterrupt(x);
                    case 0x1C -> g.writeGichVmcr(vmcr & ~(7 << ABP_SHIFT) | (x & 7) << ABP_SHIFT);
                    case 0xD0 -> g.writeGichApr(x);
                    case 0x1000 -> g.gicvDeactivate(x);
                    default -> { } // read-only or reserved: WI
                }
            }
        };
    }
}
