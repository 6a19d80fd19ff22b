package org.jvisor.cli;

import org.jvisor.vmm.BoardConfig;

/**
 * {@code -m}: the guest's RAM, as qemu-system takes it, within what the board and the host can give.
 *
 * <p>Guest RAM is mapped lazily, so any size up to the board's window maps at once; but a guest that
 * touches all of a size larger than the host's memory ends with the host's OOM killer choosing a victim.
 * QEMU refuses such a size at start ("cannot set up guest memory 'mach-virt.ram': Cannot allocate
 * memory"): its RAM is one mapping that Linux's default overcommit heuristic refuses when it is larger than
 * the host's RAM + swap. jvisor applies the same bound itself (its mapping is MAP_NORESERVE, which the
 * heuristic lets through), with the host's memory as {@link HostMemory} reads it: a container's memory limit where there is one.
 * {@code --ram-overcommit} lifts it, as QEMU's {@code reserve=off} memory backend or
 * {@code vm.overcommit_memory=1} do.
 */
final class GuestRam {
    private GuestRam() {}

    /** The RAM {@code text} asks for, at least {@code min}, whole pages, within the board and (unless {@code overcommit}) the host. */
    static long parse(String text, long min, boolean overcommit) {
        long ram = QemuStyle.parseSize("-m", text);
        if (ram < min) throw new UserError("-m " + text + ": at least " + (min >> 20) + " MiB of RAM are needed");
        if (ram > BoardConfig.MAX_RAM) throw new UserError("-m " + text + ": at most " + (BoardConfig.MAX_RAM >> 30) + " GiB of RAM");
        if ((ram & 0xfff) != 0) throw new UserError("-m " + text + ": not a whole number of 4 KiB pages");
        if (!overcommit) {
            HostMemory h = HostMemory.read();
            long host = h.ram(), swap = h.swap();
            if (ram > host + swap)
                throw new UserError("-m " + text + ": more than this host's memory (" + gib(host) + " of RAM + " + gib(swap)
                        + " of swap); a guest that used it all would meet the host's OOM killer, so QEMU refuses it too"
                        + " (--ram-overcommit allows it)");
        }
        return ram;
    }

    private static String gib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
