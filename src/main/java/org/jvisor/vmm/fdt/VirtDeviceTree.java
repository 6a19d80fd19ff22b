package org.jvisor.vmm.fdt;

import org.jvisor.vmm.BoardDescription;
import org.jvisor.vmm.devices.PrimeCell;
import org.jvisor.vmm.BoardDescription.Device;
import org.jvisor.vmm.BoardDescription.Gic;

/**
 * The device tree of the virt board, modelled on what QEMU's {@code hw/arm/virt.c} generates and on
 * Linux's bindings (Documentation/devicetree/bindings). What it leaves out of QEMU's tree, and why:
 * flash, fw-cfg, the PL061 GPIO and its power key, PCIe, the platform bus, GICv2m/ITS (no such devices
 * here); {@code cpu-map} (Linux derives the same flat topology without it); the PSCI 0.1 function IDs
 * and {@code "arm,psci"} (the hypervisor implements PSCI 1.1, which Linux finds by its compatible).
 * With {@code virtualization=on} the GIC node names the maintenance interrupt, and a GICv2's lists its
 * virtualization frames (GICH, GICV), as QEMU's.
 * Phandles count from 1 where QEMU's start at 0x8000; both are arbitrary.
 */
public final class VirtDeviceTree {
    /** interrupts specifier, first cell (bindings/interrupt-controller/arm,gic.yaml). */
    static final int GIC_SPI = 0, GIC_PPI = 1;
    /** interrupts specifier, third cell: the trigger (include/dt-bindings/interrupt-controller/irq.h). */
    static final int IRQ_TYPE_EDGE_RISING = 1, IRQ_TYPE_LEVEL_HIGH = 4;
    /** The generic timer's PPIs (INTID - 16): secure physical 29, non-secure physical 30, virtual 27, hypervisor 26. */
    static final int PPI_SEC_PHYS_TIMER = 13, PPI_PHYS_TIMER = 14, PPI_VIRT_TIMER = 11, PPI_HYP_TIMER = 10;
    /** The virtual CPU interface's maintenance interrupt: PPI 9, INTID 25 (QEMU's ARCH_GIC_MAINT_IRQ). */
    static final int PPI_GIC_MAINTENANCE = 9;
    /** PMU overflow: PPI 7, INTID 23 (QEMU's VIRTUAL_PMU_IRQ). */
    static final int PPI_PMU = 7;
    /** QEMU's apb-pclk: a 24 MHz fixed clock feeding the PrimeCell peripherals. */
    static final int APB_PCLK_HZ = 24_000_000;

    private VirtDeviceTree() {}

    /** The node path of the UART, {@code /chosen}'s stdout-path. */
    public static String uartPath(BoardDescription b) {
        return "/pl011@" + Long.toHexString(b.uart().base());
    }

    /** The MPIDR affinity (Aff2.Aff1.Aff0) of vCPU {@code n}, which its node's reg holds: {@code org.jvisor.hyp.Vcpu} sets MPIDR_EL1 to 0x80000000 | n. */
    public static int cpuAffinity(int n) {
        return n;
    }

    public static byte[] build(BoardDescription b) {
        FdtBuilder fdt = new FdtBuilder();
        int gic = fdt.allocatePhandle();
        int clk = fdt.allocatePhandle();
        String uart = uartPath(b);

        fdt.beginNode("");
        fdt.property("interrupt-parent", gic);
        fdt.property("model", "linux,dummy-virt");
        fdt.property("#size-cells", 2);
        fdt.property("#address-cells", 2);
        fdt.property("compatible", "linux,dummy-virt");

        chosen(fdt, b, uart);
        fdt.beginNode("aliases").property("serial0", uart).endNode();

        fdt.beginNode("memory@" + Long.toHexString(b.ramBase()));
        fdt.property("device_type", "memory");
        fdt.propertyU64("reg", b.ramBase(), b.ramSize());
        fdt.endNode();

        cpus(fdt, b);

        fdt.beginNode("psci");
        fdt.property("compatible", "arm,psci-1.0", "arm,psci-0.2");
        // QEMU's conduit: the hypervisor's HVC, or the firmware's SMC when the guest owns EL2 (hw/arm/virt.c).
        fdt.property("method", b.guestOwnsEl2() ? "smc" : "hvc");
        fdt.endNode();

        int ppiFlags = ppiFlags(b, IRQ_TYPE_LEVEL_HIGH);
        fdt.beginNode("timer");
        fdt.property("compatible", "arm,armv8-timer", "arm,armv7-timer");
        fdt.property("interrupts", GIC_PPI, PPI_SEC_PHYS_TIMER, ppiFlags, GIC_PPI, PPI_PHYS_TIMER, ppiFlags,
                GIC_PPI, PPI_VIRT_TIMER, ppiFlags, GIC_PPI, PPI_HYP_TIMER, ppiFlags);
        fdt.property("always-on");
        fdt.endNode();

        if (b.pmu()) {
            fdt.beginNode("pmu");
            fdt.property("compatible", "arm,armv8-pmuv3");
            fdt.property("interrupts", GIC_PPI, PPI_PMU, ppiFlags);
            fdt.endNode();
        }

        fdt.beginNode("apb-pclk");
        fdt.property("compatible", "fixed-clock");
        fdt.property("#clock-cells", 0);
        fdt.property("clock-frequency", APB_PCLK_HZ);
        fdt.property("clock-output-names", "clk24mhz");
        fdt.phandle(clk);
        fdt.endNode();

        gic(fdt, b, gic);

        Device u = b.uart();
        fdt.beginNode(uart.substring(1));
        fdt.property("compatible", "arm,pl011", "arm,primecell");
        reg(fdt, u);
        spi(fdt, u, IRQ_TYPE_LEVEL_HIGH);
        fdt.property("clocks", clk, clk);
        fdt.property("clock-names", "uartclk", "apb_pclk");
        fdt.endNode();

        if (b.rtc() != null) {
            Device r = b.rtc();
            fdt.beginNode("pl031@" + Long.toHexString(r.base()));
            fdt.property("compatible", "arm,pl031", "arm,primecell");
            reg(fdt, r);
            spi(fdt, r, IRQ_TYPE_LEVEL_HIGH);
            fdt.property("clocks", clk);
            fdt.property("clock-names", "apb_pclk");
            fdt.endNode();
        }

        // QEMU declares virtio-mmio interrupts edge-triggered; the GIC latches each rising edge of the
        // device's level output, and the driver's acknowledgement lowers it.
        for (Device v : b.virtio()) {
            fdt.beginNode("virtio_mmio@" + Long.toHexString(v.base()));
            fdt.property("compatible", "virtio,mmio");
            reg(fdt, v);
            spi(fdt, v, IRQ_TYPE_EDGE_RISING);
            fdt.property("dma-coherent");
            fdt.endNode();
        }

        if (b.hideSeek() != null) {
            Device h = b.hideSeek();
            fdt.beginNode("hide-seek@" + Long.toHexString(h.base()));
            fdt.property("compatible", "jvisor,hide-seek");
            reg(fdt, h);
            spi(fdt, h, IRQ_TYPE_LEVEL_HIGH);
            fdt.endNode();
            // The hidden byte lives in the stage-2 descriptor of this page, and its bit 3 is stage-2 XN:
            // the guest must not run code from it. Linux frees the head of an Image loaded at the start
            // of RAM (it reserves from _stext, not _text) and may later put a program's text there, which
            // would then die of SIGBUS after a hide of 0x5a. Reserved, the page stays out of its allocator.
            long page = org.jvisor.hyp.HideSeek.TARGET_IPA;
            if (page >= b.ramBase() && page + 0x1000 <= b.ramBase() + b.ramSize()) fdt.reserveMemory(page, 0x1000);
        }

        fdt.endNode();
        fdt.bootCpuidPhys(cpuAffinity(0));
        return fdt.finish();
    }

    private static void chosen(FdtBuilder fdt, BoardDescription b, String uart) {
        fdt.beginNode("chosen");
        if (!b.bootargs().isEmpty()) fdt.property("bootargs", b.bootargs());
        fdt.property("stdout-path", uart);
        if (b.initrd() != null) {
            // 64-bit values, as the root's #address-cells is 2 (Linux reads either width).
            fdt.propertyU64("linux,initrd-start", b.initrd().start());
            fdt.propertyU64("linux,initrd-end", b.initrd().end());
        }
        if (b.seeds() != null) {
            fdt.property("rng-seed", b.seeds().rngSeed());
            fdt.propertyU64("kaslr-seed", b.seeds().kaslrSeed());
        }
        fdt.endNode();
    }

    private static void cpus(FdtBuilder fdt, BoardDescription b) {
        fdt.beginNode("cpus");
        // One cell of reg: the affinity fields Aff2..Aff0 (bindings/arm/cpus.yaml; Aff3 is 0 here).
        fdt.property("#address-cells", 1);
        fdt.property("#size-cells", 0);
        for (int n = 0; n < b.cpus(); n++) {
            int mpidr = cpuAffinity(n);
            fdt.beginNode("cpu@" + Integer.toHexString(mpidr));
            fdt.property("device_type", "cpu");
            fdt.property("compatible", "arm,cortex-a57");
            fdt.property("reg", mpidr);
            fdt.property("enable-method", "psci");
            fdt.endNode();
        }
        fdt.endNode();
    }

    private static void gic(FdtBuilder fdt, BoardDescription b, int phandle) {
        Gic g = b.gic();
        fdt.beginNode("intc@" + Long.toHexString(g.distBase()));
        if (g.version() == 2) {
            fdt.property("compatible", "arm,cortex-a15-gic");
            if (b.guestOwnsEl2()) // the virtualization extensions' GICH and GICV frames follow GICD and GICC
                fdt.propertyU64("reg", g.distBase(), Gic.DIST_SIZE, g.cpuOrRedistBase(), Gic.CPU_IF_SIZE,
                        BoardDescription.VIRT_GIC_HYP, Gic.VIRT_FRAME_SIZE, BoardDescription.VIRT_GIC_VCPU, Gic.VIRT_FRAME_SIZE);
            else fdt.propertyU64("reg", g.distBase(), Gic.DIST_SIZE, g.cpuOrRedistBase(), Gic.CPU_IF_SIZE);
        } else {
            fdt.property("compatible", "arm,gic-v3");
            fdt.propertyU64("reg", g.distBase(), Gic.DIST_SIZE, g.cpuOrRedistBase(), b.cpus() * g.redistSizePerCpu());
            fdt.property("#redistributor-regions", 1);
        }
        // With EL2 the guest's, the virtual CPU interface's maintenance interrupt (PPI 9, INTID 25), as QEMU writes
        // it for either GIC (no CPU mask for a GICv2's): KVM offers a vGIC only when the GIC node names one.
        if (b.guestOwnsEl2()) fdt.property("interrupts", GIC_PPI, PPI_GIC_MAINTENANCE, IRQ_TYPE_LEVEL_HIGH);
        fdt.property("interrupt-controller");
        fdt.property("#interrupt-cells", 3);
        // No child nodes (QEMU's v2m/ITS children are why it has 2 and ranges); dtc wants the cell count stated.
        fdt.property("#address-cells", 0);
        fdt.phandle(phandle);
        fdt.endNode();
    }

    /**
     * The third cell of a PPI specifier. With GICv2 its bits [15:8] name the CPUs the PPI is wired to,
     * as QEMU sets them (all of them); GICv3 has no such mask. Level-high as QEMU says for machines after
     * virt-2.8: the GIC only knows level or edge for a PPI, and Linux's arch timer accepts either polarity.
     */
    static int ppiFlags(BoardDescription b, int trigger) {
        return b.gic().version() == 2 ? trigger | ((1 << b.cpus()) - 1) << 8 : trigger;
    }

    private static void reg(FdtBuilder fdt, Device d) {
        fdt.propertyU64("reg", d.base(), d.size());
    }

    private static void spi(FdtBuilder fdt, Device d, int trigger) {
        if (d.spi() >= 0) fdt.property("interrupts", GIC_SPI, d.spi(), trigger);
    }
}
