package org.jvisor.vmm;

import java.util.ArrayList;
import java.util.List;
import org.jvisor.vmm.BoardDescription.Initrd;

/**
 * Where the kernel, the initrd and the device tree go in guest RAM, following
 * Documentation/arm64/booting.rst:
 * <ul>
 * <li>An arm64 Image at a 2 MiB aligned base plus text_offset, the base being the start of RAM (as low as
 *     possible, which flags bit 3 = 0 asks for and bit 3 = 1 allows), with image_size bytes from its start
 *     left to the kernel: image_size counts the BSS, so nothing else may lie below its end. QEMU puts it
 *     2 MiB higher only because its boot stub occupies the first page of RAM; there is no stub here.</li>
 * <li>A raw binary, and an Image from before v3.17 (image_size 0, text_offset 0x80000), at RAM base +
 *     0x80000 as QEMU loads them. Their BSS is unknown, so the initrd goes where QEMU puts it: at
 *     RAM base + min(RAM / 2, 128 MiB), or right above the file if that is higher.</li>
 * <li>An ELF file's segments at their physical addresses, entered at e_entry.</li>
 * <li>The initrd page-aligned right above the kernel. booting.rst: it must lie in RAM, not overlap the
 *     kernel, and share with the kernel one 1 GiB aligned window of at most 32 GiB.</li>
 * <li>The device tree: 8-byte aligned, at most 2 MiB, and in no 2 MiB region that must be mapped with
 *     particular attributes. It goes on the next 2 MiB boundary above the kernel and initrd (as QEMU
 *     does), or, if RAM ends before, on the next page. For an ELF file, which is no Linux kernel, it goes
 *     at the start of RAM when it fits below the lowest segment: bare-metal programs written for QEMU's
 *     virt board look for it there.</li>
 * </ul>
 *
 * @param loads       what to copy where (the kernel's bytes)
 * @param kernelStart lowest address the kernel occupies
 * @param kernelEnd   first address above the kernel, its BSS included
 * @param initrdStart -1 without an initrd
 * @param initrdEnd   -1 without an initrd
 */
public record BootLayout(List<Load> loads, long kernelStart, long kernelEnd, long entry, long initrdStart, long initrdEnd,
                         long dtbAddress, int dtbSize) {

    /** {@code length} bytes of {@code data} from {@code offset} at {@code address}, then {@code zeroFill} zero bytes. */
    public record Load(long address, byte[] data, int offset, int length, long zeroFill) {}

    static final long MiB = 1L << 20, GiB = 1L << 30;
    /** Where QEMU puts a raw kernel: KERNEL64_LOAD_ADDR. */
    public static final long RAW_LOAD_OFFSET = 0x80000;
    public static final long IMAGE_ALIGN = 2 * MiB;
    /** booting.rst: "The device tree blob (dtb) must be placed on an 8-byte boundary and must not exceed 2 megabytes". */
    public static final int MAX_DTB_SIZE = 2 << 20;
    static final long PAGE = 4096;

    public BootLayout {
        loads = List.copyOf(loads);
    }

    /** The initrd's range for the device tree, or null. */
    public Initrd initrd() {
        return initrdStart < 0 ? null : new Initrd(initrdStart, initrdEnd);
    }

    /**
     * Places {@code kernel}, an initrd of {@code initrdSize} bytes (-1 for none) and a device tree of
     * {@code dtbSize} bytes in RAM {@code [ramBase, ramBase + ramSize)}.
     */
    public static BootLayout plan(long ramBase, long ramSize, KernelImage kernel, long initrdSize, int dtbSize) throws BootException {
        long ramEnd = ramBase + ramSize;
        String ram = LinuxLoader.size(ramSize) + " of RAM";
        List<Load> loads = new ArrayList<>();
        long kernelStart, kernelEnd, entry, initrdFloor;
        boolean elf = false;
        switch (kernel) {
            case KernelImage.Arm64Image img -> {
                long base = alignUp(ramBase, IMAGE_ALIGN);
                long load = base + img.textOffset();
                long size = Math.max(img.imageSize(), img.data().length);
                if (img.textOffset() >= ramSize || size > ramEnd - load)
                    throw new BootException("kernel image '" + img.name() + "' (" + LinuxLoader.size(size)
                            + (img.imageSize() != 0 ? " with its BSS" : "") + ") does not fit in " + ram);
                loads.add(new Load(load, img.data(), 0, img.data().length, 0));
                kernelStart = load;
                kernelEnd = load + size;
                entry = load;
                initrdFloor = img.imageSize() != 0 ? kernelEnd : qemuInitrdFloor(ramBase, ramSize, kernelEnd);
            }
            case KernelImage.RawBinary raw -> {
                long load = ramBase + RAW_LOAD_OFFSET;
                if (RAW_LOAD_OFFSET >= ramSize || raw.data().length > ramEnd - load)
                    throw new BootException("kernel image '" + raw.name() + "' (" + LinuxLoader.size(raw.data().length)
                            + ") does not fit in " + ram + " above 0x" + Long.toHexString(load));
                loads.add(new Load(load, raw.data(), 0, raw.data().length, 0));
                kernelStart = load;
                kernelEnd = load + raw.data().length;
                entry = load;
                initrdFloor = qemuInitrdFloor(ramBase, ramSize, kernelEnd);
            }
            case KernelImage.Elf e -> {
                elf = true;
                kernelStart = Long.MAX_VALUE;
                kernelEnd = 0;
                for (KernelImage.Elf.Segment s : e.segments()) {
                    long a = s.address();
                    if (a < ramBase || a > ramEnd || s.memSize() > ramEnd - a)
                        throw new BootException("ELF file '" + e.name() + "': segment at 0x" + Long.toHexString(a) + " (" + LinuxLoader.size(s.memSize())
                                + ") lies outside RAM [0x" + Long.toHexString(ramBase) + ", 0x" + Long.toHexString(ramEnd) + ")"
                                + (a < 0 ? "; a vmlinux? boot arch/arm64/boot/Image instead" : ""));
                    loads.add(new Load(a, e.data(), s.fileOffset(), s.fileSize(), s.memSize() - s.fileSize()));
                    kernelStart = Math.min(kernelStart, a);
                    kernelEnd = Math.max(kernelEnd, a + s.memSize());
                }
                entry = e.entry();
                initrdFloor = kernelEnd;
            }
        }

        long initrdStart = -1, initrdEnd = -1, top = kernelEnd;
        if (initrdSize >= 0) {
            initrdStart = alignUp(initrdFloor, PAGE);
            if (initrdStart > ramEnd || initrdSize > ramEnd - initrdStart)
                throw new BootException("initrd (" + LinuxLoader.size(initrdSize) + ") does not fit in " + ram + " above the kernel");
            initrdEnd = initrdStart + initrdSize;
            long window = Math.max(kernelEnd, initrdEnd) - alignDown(Math.min(kernelStart, initrdStart), GiB);
            if (!elf && window > 32 * GiB)
                throw new BootException("initrd (" + LinuxLoader.size(initrdSize) + ") and kernel do not fit in one 32 GiB window of RAM, as Linux requires");
            top = initrdEnd;
        }

        if (dtbSize > MAX_DTB_SIZE) throw new BootException("the device tree (" + LinuxLoader.size(dtbSize) + ") exceeds the 2 MiB Linux accepts");
        long dtb;
        if (elf && dtbSize <= kernelStart - ramBase) {
            dtb = ramBase;
        } else {
            dtb = alignUp(top, IMAGE_ALIGN);
            if (dtb > ramEnd || dtbSize > ramEnd - dtb) dtb = alignUp(top, PAGE);
            if (dtb > ramEnd || dtbSize > ramEnd - dtb)
                throw new BootException("no room for the device tree (" + LinuxLoader.size(dtbSize) + ") in " + ram + " above the kernel"
                        + (initrdSize >= 0 ? " and initrd" : ""));
        }
        return new BootLayout(loads, kernelStart, kernelEnd, entry, initrdStart, initrdEnd, dtb, dtbSize);
    }

    /** QEMU's initrd address for kernels whose size it does not know (arm_setup_direct_kernel_boot). */
    private static long qemuInitrdFloor(long ramBase, long ramSize, long kernelEnd) {
        return Math.max(ramBase + Math.min(ramSize / 2, 128 * MiB), kernelEnd);
    }

    static long alignUp(long v, long a) {
        return (v + a - 1) & -a;
    }

    static long alignDown(long v, long a) {
        return v & -a;
    }
}
