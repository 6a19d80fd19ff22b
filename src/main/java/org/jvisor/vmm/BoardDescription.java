package org.jvisor.vmm;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * What the board tells its guest through the device tree: RAM, CPUs, interrupt controller, devices and
 * the {@code /chosen} settings. {@link #virt} gives QEMU's {@code virt} memory map
 * ({@code hw/arm/virt.c}'s {@code base_memmap} and {@code a15irqmap}); the {@code with...} methods
 * change one thing each. Only devices that really exist belong here: a virtio-mmio node for an empty
 * slot would make Linux probe a transport that is not there.
 *
 * @param ramBase  guest physical address of RAM; 2 MiB aligned (an arm64 Image is placed on a 2 MiB boundary)
 * @param cpus     vCPU {@code n} has MPIDR affinity {@code n}, as {@code org.jvisor.hyp.Vcpu} sets it
 * @param hideSeek the optional {@code jvisor,hide-seek} device, or null
 * @param pmu      whether to describe the PMUv3 and its overflow interrupt (PPI 7, as QEMU)
 * @param bootargs the kernel command line ("" for none)
 * @param initrd   where the initrd lies in guest RAM, or null
 * @param seeds    {@code kaslr-seed} and {@code rng-seed} for {@code /chosen}, or null: without a KASLR seed
 *                 Linux runs without KASLR, and so, on a Cortex-A57 (not affected by Meltdown), without
 *                 KPTI, which is faster for us
 * @param guestOwnsEl2 the guest owns EL2 (QEMU's {@code virtualization=on}): PSCI is the firmware's, over SMC
 */
public record BoardDescription(long ramBase, long ramSize, int cpus, Gic gic, Device uart, Device rtc,
                               List<Device> virtio, Device hideSeek, boolean pmu, String bootargs, Initrd initrd,
                               Seeds seeds, boolean guestOwnsEl2) {

    public static final long VIRT_RAM_BASE = 0x4000_0000L;
    public static final long VIRT_GIC_DIST = 0x0800_0000L, VIRT_GIC_CPU = 0x0801_0000L, VIRT_GIC_REDIST = 0x080a_0000L;
    /** A GICv2's virtualization frames (GICH, GICV), there when the guest owns EL2: QEMU's VIRT_GIC_HYP and VIRT_GIC_VCPU. */
    public static final long VIRT_GIC_HYP = 0x0803_0000L, VIRT_GIC_VCPU = 0x0804_0000L;
    /** Each GICv3 redistributor: an RD_base and an SGI_base frame of 64 KiB (GICv3 and v4 architecture, 12.10). */
    public static final long GICV3_REDIST_SIZE = 0x2_0000L;
    public static final long VIRT_UART = 0x0900_0000L, VIRT_RTC = 0x0901_0000L;
    public static final int VIRT_UART_SPI = 1, VIRT_RTC_SPI = 2;
    public static final long VIRT_MMIO = 0x0a00_0000L, VIRTIO_MMIO_SIZE = 0x200;
    public static final int VIRT_MMIO_SPI = 16, VIRT_MMIO_SLOTS = 32;
    public static final long VIRT_HIDE_SEEK = org.jvisor.hyp.HideSeek.BASE;

    /**
     * The interrupt controller. For GICv2 {@code cpuOrRedistBase} is the CPU interface; for GICv3 it is the
     * single redistributor region, {@code cpus * redistSizePerCpu} bytes (Linux walks it until
     * GICR_TYPER.Last, so the last redistributor must say Last).
     */
    public record Gic(int version, long distBase, long cpuOrRedistBase, long redistSizePerCpu) {
        /** Sizes QEMU gives the frames: the distributor and the GICv2 CPU interface 64 KiB each. */
        public static final long DIST_SIZE = 0x1_0000L, CPU_IF_SIZE = 0x1_0000L, VIRT_FRAME_SIZE = 0x1_0000L;

        public Gic {
            if (version != 2 && version != 3) throw new IllegalArgumentException("GIC version " + version + ": 2 or 3");
            if (version == 3 && redistSizePerCpu <= 0) throw new IllegalArgumentException("GICv3 needs a redistributor size");
        }

        public static Gic v2(long distBase, long cpuBase) { return new Gic(2, distBase, cpuBase, 0); }

        public static Gic v3(long distBase, long redistBase, long redistSizePerCpu) {
            return new Gic(3, distBase, redistBase, redistSizePerCpu);
        }
    }

    /** An MMIO device: its frame and its SPI number (the GIC INTID less 32), or -1 for none. */
    public record Device(long base, long size, int spi) {
        public Device {
            if (size <= 0) throw new IllegalArgumentException("device at 0x" + Long.toHexString(base) + " has no size");
            if (spi < -1 || spi > 987) throw new IllegalArgumentException("SPI " + spi + " out of range");
        }
    }

    /** The initrd's guest physical range [start, end). */
    public record Initrd(long start, long end) {
        public Initrd {
            if (end < start) throw new IllegalArgumentException("initrd ends before it starts");
        }
    }

    /** Entropy for the kernel: {@code kaslr-seed} (64 bits; 0 makes Linux skip KASLR) and {@code rng-seed}. */
    public record Seeds(long kaslrSeed, byte[] rngSeed) {
        public Seeds {
            rngSeed = rngSeed.clone();
        }

        @Override
        public byte[] rngSeed() { return rngSeed.clone(); }

        /** Fresh host entropy: 8 bytes of KASLR seed and 32 of RNG seed, as QEMU gives. */
        public static Seeds random() {
            SecureRandom r = new SecureRandom();
            byte[] seed = new byte[32];
            r.nextBytes(seed);
            long k;
            do k = r.nextLong(); while (k == 0);
            return new Seeds(k, seed);
        }
    }

    public BoardDescription {
        if (ramSize <= 0) throw new IllegalArgumentException("no RAM");
        if ((ramBase & (2 << 20) - 1) != 0) throw new IllegalArgumentException("RAM base must be 2 MiB aligned");
        if (cpus < 1) throw new IllegalArgumentException("at least one CPU");
        // GICv2 targets interrupts and SGIs with an 8-bit CPU mask.
        if (gic.version() == 2 && cpus > 8) throw new IllegalArgumentException("GICv2 serves at most 8 CPUs, not " + cpus);
        // With MPIDR affinity = vCPU number, CPUs from 16 on have Aff0 >= 16, which ICC_SGI1R_EL1's 16-bit
        // target list cannot reach without range selectors (GICD_TYPER.RSS); Linux then cannot send them IPIs.
        // KVM's layout (Aff0 = n % 16, Aff1 = n / 16) would lift this; the vCPUs would have to use it too.
        if (gic.version() == 3 && cpus > 16) throw new IllegalArgumentException("GICv3 with Aff0 = vCPU number serves at most 16 CPUs, not " + cpus);
        if (uart == null) throw new IllegalArgumentException("the board needs its UART (stdout-path names it)");
        virtio = List.copyOf(virtio);
        if (bootargs == null) bootargs = "";
    }

    /**
     * QEMU's virt board: RAM at 1 GiB, the GIC at 0x08000000 (GICv3's redistributors at 0x080a0000), PL011
     * at 0x09000000 (SPI 1), PL031 at 0x09010000 (SPI 2), no virtio transport, no PMU node, no initrd,
     * no seeds, no command line.
     */
    public static BoardDescription virt(long ramSize, int cpus, int gicVersion) {
        Gic gic = gicVersion == 2 ? Gic.v2(VIRT_GIC_DIST, VIRT_GIC_CPU) : Gic.v3(VIRT_GIC_DIST, VIRT_GIC_REDIST, GICV3_REDIST_SIZE);
        return new BoardDescription(VIRT_RAM_BASE, ramSize, cpus, gic, new Device(VIRT_UART, 0x1000, VIRT_UART_SPI),
                new Device(VIRT_RTC, 0x1000, VIRT_RTC_SPI), List.of(), null, false, "", null, null, false);
    }

    /** The virtio-mmio transport in slot {@code n} of QEMU's 32: base 0x0a000000 + 0x200n, SPI 16 + n. */
    public static Device virtioSlot(int n) {
        if (n < 0 || n >= VIRT_MMIO_SLOTS) throw new IllegalArgumentException("virtio-mmio slot " + n + " of " + VIRT_MMIO_SLOTS);
        return new Device(VIRT_MMIO + n * VIRTIO_MMIO_SIZE, VIRTIO_MMIO_SIZE, VIRT_MMIO_SPI + n);
    }

    public BoardDescription withVirtio(List<Device> transports) {
        return new BoardDescription(ramBase, ramSize, cpus, gic, uart, rtc, transports, hideSeek, pmu, bootargs, initrd, seeds, guestOwnsEl2);
    }

    /** Adds a virtio-mmio transport after those already described. */
    public BoardDescription withVirtio(Device transport) {
        List<Device> all = new ArrayList<>(virtio);
        all.add(transport);
        return withVirtio(all);
    }

    public BoardDescription withRtc(Device rtc) {
        return new BoardDescription(ramBase, ramSize, cpus, gic, uart, rtc, virtio, hideSeek, pmu, bootargs, initrd, seeds, guestOwnsEl2);
    }

    /** The hypervisor's hide/seek device ({@code org.jvisor.hyp.HideSeek}: 3 bytes at 0x0b000000, no interrupt). */
    public BoardDescription withHideSeek() {
        return withHideSeek(new Device(org.jvisor.hyp.HideSeek.BASE, org.jvisor.hyp.HideSeek.SIZE, -1));
    }

    public BoardDescription withHideSeek(Device device) {
        return new BoardDescription(ramBase, ramSize, cpus, gic, uart, rtc, virtio, device, pmu, bootargs, initrd, seeds, guestOwnsEl2);
    }

    /** The guest owns EL2 (or not): PSCI over SMC, the firmware's, instead of HVC, the hypervisor's. */
    public BoardDescription withGuestOwningEl2(boolean on) {
        return new BoardDescription(ramBase, ramSize, cpus, gic, uart, rtc, virtio, hideSeek, pmu, bootargs, initrd, seeds, on);
    }

    public BoardDescription withPmu(boolean on) {
        return new BoardDescription(ramBase, ramSize, cpus, gic, uart, rtc, virtio, hideSeek, on, bootargs, initrd, seeds, guestOwnsEl2);
    }

    public BoardDescription withBootargs(String args) {
        return new BoardDescription(ramBase, ramSize, cpus, gic, uart, rtc, virtio, hideSeek, pmu, args, initrd, seeds, guestOwnsEl2);
    }

    public BoardDescription withInitrd(Initrd range) {
        return new BoardDescription(ramBase, ramSize, cpus, gic, uart, rtc, virtio, hideSeek, pmu, bootargs, range, seeds, guestOwnsEl2);
    }

    public BoardDescription withSeeds(Seeds s) {
        return new BoardDescription(ramBase, ramSize, cpus, gic, uart, rtc, virtio, hideSeek, pmu, bootargs, initrd, s, guestOwnsEl2);
    }
}
