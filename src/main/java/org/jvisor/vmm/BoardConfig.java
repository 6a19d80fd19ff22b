package org.jvisor.vmm;

import java.nio.file.Path;
import java.time.Duration;
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
 * @param virtioRng whether the board has a virtio entropy device (QEMU's virtio-rng-device)
 * @param virtioConsole whether the board has a virtio console, /dev/hvc0 (QEMU's virtio-serial-device with a virtconsole)
 * @param rtcOffset what the PL031 adds to the host's UTC time: zero, the host zone's offset for QEMU's
 *                  {@code -rtc base=localtime}, or the distance to a given start date
 * @param rtcStart null for an RTC that follows the host's clock (plus {@code rtcOffset}); else QEMU's
 *                 {@code -rtc clock=vm}: the RTC starts at this time and follows the machine's system
 *                 counter, so that with {@code instructionClock} a run is repeatable to the instruction
 * @param virtualization whether the guest owns EL2 (QEMU's {@code -M virt,virtualization=on}): the boot CPU
 *                       starts at EL2h, PSCI is the firmware's over SMC, the GIC's outputs are the
 *                       processors' physical interrupts (no hide/seek device: it lives in jvisor's stage 2)
 * @param trapAndEmulate whether the guest kernel runs deprivileged at EL0, by classic trap-and-emulate
 *                       ({@link org.jvisor.hyp.Hypervisor#createTrapAndEmulateVm}; {@code -M virt,trap-and-emulate=on})
 * @param nics virtio-net devices, one transport each after the other devices' (none by default)
 */
public record BoardConfig(long ramSize, int cpus, int gicVersion, boolean hideSeek, List<Drive> drives,
                          Path kernel, Path initrd, String bootargs, boolean instructionClock,
                          boolean virtioRng, boolean virtioConsole, Duration rtcOffset, java.time.Instant rtcStart,
                          boolean virtualization, boolean trapAndEmulate, List<org.jvisor.vmm.net.Nic> nics) {
    /** A raw disk image behind a virtio-blk transport. */
    public record Drive(Path file, boolean readOnly) {}

    public static final long MIN_RAM = 16L << 20;
    /** The virt board's RAM window below the 4 GiB high-memory region; more would need a second bank. */
    public static final long MAX_RAM = 255L << 30;
    public static final int MAX_CPUS = 8;

    public BoardConfig {
        if (virtualization && trapAndEmulate) throw new IllegalArgumentException("the guest owns EL2 or runs deprivileged, not both");
        drives = List.copyOf(drives);
        nics = List.copyOf(nics);
        if (bootargs == null) bootargs = "";
        if (rtcOffset == null) rtcOffset = Duration.ZERO;
    }

    /** The board without a NIC. */
    public BoardConfig(long ramSize, int cpus, int gicVersion, boolean hideSeek, List<Drive> drives,
                       Path kernel, Path initrd, String bootargs, boolean instructionClock,
                       boolean virtioRng, boolean virtioConsole, Duration rtcOffset, java.time.Instant rtcStart,
                       boolean virtualization, boolean trapAndEmulate) {
        this(ramSize, cpus, gicVersion, hideSeek, drives, kernel, initrd, bootargs, instructionClock, virtioRng, virtioConsole,
                rtcOffset, rtcStart, virtualization, trapAndEmulate, List.of());
    }

    /** The board with the guest's kernel at EL1 (not deprivileged). */
    public BoardConfig(long ramSize, int cpus, int gicVersion, boolean hideSeek, List<Drive> drives,
                       Path kernel, Path initrd, String bootargs, boolean instructionClock,
                       boolean virtioRng, boolean virtioConsole, Duration rtcOffset, java.time.Instant rtcStart,
                       boolean virtualization) {
        this(ramSize, cpus, gicVersion, hideSeek, drives, kernel, initrd, bootargs, instructionClock, virtioRng, virtioConsole,
                rtcOffset, rtcStart, virtualization, false);
    }

    /** The board with EL2 the host's (QEMU's default, virtualization=off). */
    public BoardConfig(long ramSize, int cpus, int gicVersion, boolean hideSeek, List<Drive> drives,
                       Path kernel, Path initrd, String bootargs, boolean instructionClock,
                       boolean virtioRng, boolean virtioConsole, Duration rtcOffset, java.time.Instant rtcStart) {
        this(ramSize, cpus, gicVersion, hideSeek, drives, kernel, initrd, bootargs, instructionClock, virtioRng, virtioConsole,
                rtcOffset, rtcStart, false);
    }

    /** jvisor's usual board: with the virtio entropy device and console, the RTC on UTC. */
    public BoardConfig(long ramSize, int cpus, int gicVersion, boolean hideSeek, List<Drive> drives,
                       Path kernel, Path initrd, String bootargs, boolean instructionClock) {
        this(ramSize, cpus, gicVersion, hideSeek, drives, kernel, initrd, bootargs, instructionClock, true, true, Duration.ZERO, null, false, false, List.of());
    }
}
