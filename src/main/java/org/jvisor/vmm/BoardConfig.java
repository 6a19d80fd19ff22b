package org.jvisor.vmm;

import java.nio.file.Path;
import java.util.List;

/**
 * What the user asked the virt board to be: memory, processors, interrupt controller, disks, what to boot.
 *
 * @param ramSize guest RAM in bytes, mapped from {@link BoardDescription#VIRT_RAM_BASE}
 * @param cpus vCPUs; the first starts the kernel, the others wait for PSCI CPU_ON
 * @param gicVersion 2 or 3
 * @param hideSeek whether the hide/seek device is on the board
 * @param drives virtio block devices, one transport each, in order
 * @param kernel an arm64 Image or a raw binary
 * @param initrd the initial ramdisk, or null
 * @param bootargs the kernel command line ({@code /chosen/bootargs})
 * @param instructionClock derive the system counter from retired instructions (repeatable runs) instead of the host clock
 */
public record BoardConfig(long ramSize, int cpus, int gicVersion, boolean hideSeek, List<Drive> drives,
                          Path kernel, Path initrd, String bootargs, boolean instructionClock) {
    /** A raw disk image behind a virtio-blk transport. */
    public record Drive(Path file, boolean readOnly) {}

    public static final long MIN_RAM = 16L << 20;
    /** The virt board's RAM window below the 4 GiB high-memory region; more would need a second bank. */
    public static final long MAX_RAM = 255L << 30;
    public static final int MAX_CPUS = 8;

    public BoardConfig {
        drives = List.copyOf(drives);
        if (bootargs == null) bootargs = "";
    }
}
