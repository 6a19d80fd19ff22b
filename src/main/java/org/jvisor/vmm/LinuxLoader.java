package org.jvisor.vmm;

import org.jvisor.vmm.fdt.VirtDeviceTree;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Loads a kernel, an optional initrd and the board's device tree into guest RAM, as QEMU's {@code -kernel},
 * {@code -initrd} and {@code -append} do for the virt board (placement: {@link BootLayout}). In two steps,
 * so that the device tree can be dumped without a VM:
 *
 * <pre>
 * LinuxLoader.Boot boot = LinuxLoader.prepare(board, kernelPath, initrdPathOrNull); // reads, checks, places
 * byte[] dtb = boot.dtb();                     // with /chosen's initrd range filled in
 * boot.writeTo(GuestMemory.of(vm));            // kernel, initrd, device tree into RAM
 * BootCpuState cpu = boot.cpu();               // pc = entry, x0 = device tree
 * </pre>
 *
 * Every problem with the user's files is a {@link BootException} with a one-line message. x0 holds the
 * tree's address for ELF programs too, where QEMU leaves 0: programs that ignore x0 still find the tree at
 * the start of RAM, as on QEMU. Checked beyond the tests: Debian's 6.1 Image with its initramfs boots to
 * its shell on qemu-system-aarch64 (GICv3, 2 CPUs) from exactly this layout and tree, loaded there as ELF
 * segments with a stub that sets x0 to x3 and branches to the entry.
 */
public final class LinuxLoader {
    /** Linux arm64's COMMAND_LINE_SIZE is 2048 bytes with the terminating NUL; the kernel cuts longer lines short. */
    public static final int MAX_COMMAND_LINE = 2047;

    private LinuxLoader() {}

    /** A prepared boot: where everything goes, the device tree and the boot CPU's state. */
    public record Boot(KernelImage kernel, Path initrd, BootLayout layout, byte[] dtb, BootCpuState cpu) {
        /**
         * Copies the kernel (zeroing ELF BSS), the initrd (streamed from its file) and the device tree into
         * guest RAM.
         *
         * @throws BootException if the initrd cannot be read or changed size since {@link #prepare}
         */
        public void writeTo(GuestMemory mem) throws BootException {
            try {
                for (BootLayout.Load l : layout.loads()) {
                    mem.write(l.address(), l.data(), l.offset(), l.length());
                    zero(mem, l.address() + l.length(), l.zeroFill());
                }
                if (initrd != null) copyInitrd(mem);
                mem.write(layout.dtbAddress(), dtb, 0, dtb.length);
            } catch (GuestMemoryException e) {
                throw new IllegalStateException("the board's RAM is not the RAM its description gives: " + e.getMessage(), e);
            }
        }

        private void copyInitrd(GuestMemory mem) throws BootException, GuestMemoryException {
            long want = layout.initrdEnd() - layout.initrdStart(), at = layout.initrdStart();
            byte[] buf = new byte[1 << 20];
            try (InputStream in = Files.newInputStream(initrd)) {
                for (int n; (n = in.readNBytes(buf, 0, buf.length)) > 0; ) {
                    if (at + n > layout.initrdEnd()) throw new BootException("initrd '" + initrd + "' grew while it was being loaded");
                    mem.write(at, buf, 0, n);
                    at += n;
                }
            } catch (IOException e) {
                throw new BootException("cannot read initrd '" + initrd + "': " + InputFiles.reason(e), e);
            }
            if (at != layout.initrdEnd()) throw new BootException("initrd '" + initrd + "' shrank while it was being loaded");
            assert at - layout.initrdStart() == want;
        }

        private static void zero(GuestMemory mem, long at, long length) throws GuestMemoryException {
            byte[] zeros = new byte[(int) Math.min(length, 1 << 20)];
            while (length > 0) {
                int n = (int) Math.min(length, zeros.length);
                mem.write(at, zeros, 0, n);
                at += n;
                length -= n;
            }
        }
    }

    /**
     * Reads the kernel, measures the initrd ({@code null} for none), places both and builds the device tree
     * of {@code board} (whose own initrd, if any, is replaced by the one placed here).
     */
    public static Boot prepare(BoardDescription board, Path kernelPath, Path initrdPath) throws BootException {
        KernelImage kernel = readKernel(kernelPath, board.ramSize());
        long initrdSize = -1;
        if (initrdPath != null) {
            initrdSize = InputFiles.regularFileSize("initrd", initrdPath);
            if (initrdSize == 0) throw new BootException("initrd '" + initrdPath + "' is empty");
        }
        return prepare(board, kernel, initrdPath, initrdSize);
    }

    /** As {@link #prepare(BoardDescription, Path, Path)} for a kernel already read. */
    public static Boot prepare(BoardDescription board, KernelImage kernel, Path initrdPath, long initrdSize) throws BootException {
        int cmdline = board.bootargs().getBytes(StandardCharsets.UTF_8).length;
        if (!(kernel instanceof KernelImage.Elf) && cmdline > MAX_COMMAND_LINE)
            throw new BootException("the kernel command line is " + cmdline + " bytes; Linux on arm64 takes at most " + MAX_COMMAND_LINE);
        // The tree's size does not depend on the initrd's addresses (fixed-size cells), only on its presence.
        BoardDescription.Initrd placeholder = initrdSize >= 0 ? new BoardDescription.Initrd(0, initrdSize) : null;
        int dtbSize = VirtDeviceTree.build(board.withInitrd(placeholder)).length;
        BootLayout layout = BootLayout.plan(board.ramBase(), board.ramSize(), kernel, initrdSize, dtbSize);
        byte[] dtb = VirtDeviceTree.build(board.withInitrd(layout.initrd()));
        if (dtb.length != dtbSize) throw new IllegalStateException("device tree size changed with the initrd's addresses");
        return new Boot(kernel, initrdPath, layout, dtb, BootCpuState.linux(layout.entry(), layout.dtbAddress()));
    }

    /**
     * Reads and recognises a kernel file (see {@link KernelImage#parse}); it must be a regular file that
     * fits in {@code ramSize}, checked before a byte is read.
     */
    public static KernelImage readKernel(Path path, long ramSize) throws BootException {
        long size = InputFiles.regularFileSize("kernel image", path);
        if (size > ramSize) throw new BootException("kernel image '" + path + "' (" + size(size) + ") is larger than the " + size(ramSize) + " of RAM");
        if (size > MAX_KERNEL) throw new BootException("kernel image '" + path + "' (" + size(size) + ") is larger than the " + size(MAX_KERNEL) + " jvisor loads");
        byte[] data;
        try (InputStream in = Files.newInputStream(path)) {
            data = in.readNBytes((int) size);
            if (data.length != size || in.read() >= 0)
                throw new BootException("kernel image '" + path + "' changed size while it was being read");
        } catch (IOException e) {
            throw new BootException("cannot read kernel image '" + path + "': " + InputFiles.reason(e), e);
        }
        return KernelImage.parse(path.toString(), data, ramSize);
    }

    /** A kernel is read into one Java array. */
    private static final long MAX_KERNEL = Integer.MAX_VALUE - 8;

    /** A size for messages: "600 MiB", "1.5 MiB", "12 KiB", "100 bytes". */
    static String size(long bytes) {
        long k = 1024, m = k * k, g = m * k;
        if (bytes >= g && bytes % g == 0) return bytes / g + " GiB";
        if (bytes >= m && bytes % m == 0) return bytes / m + " MiB";
        if (bytes >= m) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) m);
        if (bytes >= k && bytes % k == 0) return bytes / k + " KiB";
        if (bytes >= k) return String.format(Locale.ROOT, "%.1f KiB", bytes / (double) k);
        return bytes + " bytes";
    }
}
