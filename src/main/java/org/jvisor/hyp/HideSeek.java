package org.jvisor.hyp;

import java.util.function.Consumer;
import org.jvisor.cpu.BusError;

/**
 * Hide/seek: two one-byte registers whose value lives in the stage-2 page table itself (the KVM patch
 * of the seeds, served the same way: inside the hypervisor, by a walk with a callback, no exit to the VMM).
 *
 * <pre>
 *  0x0b000000  HIDE  write-only, 1 byte: bits [58:51] of the stage-2 leaf descriptor that maps IPA
 *                    0x40000000 := the byte (cleared first)
 *  0x0b000001  SEEK  read-only, 1 byte: bits [58:51] of that descriptor
 *  0x0b000002        belongs to the device, no register
 * </pre>
 *
 * Any other access (wider than a byte, a read of HIDE, a write of SEEK, anything at offset 2) is refused:
 * the guest takes a synchronous external data abort at the access, the hypervisor logs one line (at most
 * {@value #LOG_BURST} per {@value #LOG_WINDOW_SECONDS} seconds, so a guest cannot flood the log), and the
 * VM goes on. An access that succeeds is an IO trap with the PC advanced past the instruction, like every
 * MMIO access the hypervisor emulates. The whole device, for a board, is one line:
 *
 * <pre>
 *     HideSeek.install(vm);   // = vm.addBankedDevice(0x0b00_0000L, 3, new HideSeek(System.err::println))
 * </pre>
 *
 * <p><b>Which descriptor.</b> The one in the stage-2 view the accessing vCPU runs on (each view has its
 * own table, so each hides its own byte; a vCPU that switches view seeks the other view's byte). If
 * nothing maps IPA 0x40000000 there yet, the device maps it first as the guest's first touch would (the
 * RAM page, or its 2 MiB block with {@link Vm#setStage2Blocks}); with stage-2 blocks the leaf is that
 * block and the byte is the block's. A VM without RAM at 0x40000000 refuses both registers. The byte lives
 * as long as the mapping: unmapping the page from Java loses it, as it would in KVM.
 *
 * <p><b>What the hidden bits mean to the processor</b> (value bit i is descriptor bit 51+i; see
 * {@link Stage2Descriptor}). jvisor's processor is an ARMv8.0 Cortex-A57 (ID_AA64MMFR1_EL1.HAFDBS = 0,
 * XNX = 0):
 * <ul>
 * <li>bit 0 → 51, DBM: RES0 without FEAT_HAFDBS and ignored by jvisor's walker. With FEAT_HAFDBS it
 *     would let hardware set the write permission of a page that lacks it; RAM is mapped writable, so it
 *     would change nothing either.</li>
 * <li>bit 1 → 52, Contiguous: a hint that the entry is one of 16 adjacent ones mapping 64 KiB alike;
 *     jvisor's TLB ignores it (it caches each walk at its own level's size). On hardware, setting it on
 *     this one entry misprograms the table (its 15 neighbours do not carry it): a TLB may then translate
 *     the neighbours with this entry or raise a TLB conflict abort (CONSTRAINED UNPREDICTABLE). Because
 *     the Arm ARM treats a change of the Contiguous bit as a change of the translation's size, the table
 *     changes it with break-before-make (invalid entry, TLB invalidation, new entry).</li>
 * <li>bit 2 → 53, XN[0]: RES0 without FEAT_XNX and ignored by jvisor; with FEAT_XNX it would combine
 *     with bit 54 into separate EL1 and EL0 execute permissions.</li>
 * <li>bit 3 → 54, XN: stage 2 execute-never. The guest can no longer execute from the page (or block)
 *     at 0x40000000: a fetch there takes a stage-2 permission fault to the hypervisor, which cannot
 *     report a stage-2 fault to the guest and does not grant execution again (KVM would, as part of its
 *     lazy instruction cache maintenance, and so change the hidden byte behind the guest's back): the
 *     guest takes a synchronous external abort (instruction abort, FSC 0x10) at the fetch and its
 *     handler runs; nothing loops unless that handler itself lies in the page. Data accesses are
 *     unaffected, and hiding a value without bit 3 makes the page executable again. A Linux guest that
 *     runs code from that page sees the process killed by SIGBUS (or the kernel panic), and this does
 *     happen: Linux gives the head of an Image loaded at the start of RAM back to its allocator, and
 *     after {@code devmem 0x0b000000 8 0x5a} the next program with text there died. So the board
 *     reserves the page in the device tree (/memreserve/, {@code org.jvisor.vmm.fdt.VirtDeviceTree}) when it
 *     has this device.</li>
 * <li>bits 4-7 → 55-58: reserved for software use, ignored by hardware.</li>
 * </ul>
 * A hide that changes any of them goes through {@link Stage2PageTable#walk}, which invalidates the TLBs
 * of every vCPU for the entry (the accessing vCPU included, before it re-enters the guest), so the next
 * guest access sees the memory exactly as the new descriptor says. Permission, DBM and software bits need
 * no break-before-make: a TLB may hold the old or the new entry until the invalidation completes, both
 * map the same page.
 *
 * <p>The seed's version is a kernel patch (a walker callback, a helper and a branch in io_mem_abort)
 * plus a rebuilt host kernel; here it is this class (the two registers and the walk are some 25 lines of
 * Java, the rest is the rate-limited log), registered on a VM at run time.
 */
public final class HideSeek implements VcpuMmioHandler {
    /** Where the board puts it, and the size of its range. */
    public static final long BASE = 0x0b00_0000L, SIZE = 3;
    /** Register offsets. */
    public static final long HIDE = 0, SEEK = 1;
    /** The IPA whose stage-2 leaf descriptor holds the byte. */
    public static final long TARGET_IPA = 0x4000_0000L;
    /** The byte's place in the descriptor: bits [58:51]. */
    public static final int SHIFT = 51;
    public static final long MASK = 0xffL << SHIFT;

    static final int LOG_BURST = 10;
    static final int LOG_WINDOW_SECONDS = 5;

    private final Consumer<String> log;
    private long windowStart = Long.MIN_VALUE;
    private int logged, suppressed;

    /** A device that reports refused accesses to {@code log}, one line each. */
    public HideSeek(Consumer<String> log) {
        this.log = log;
    }

    /** Adds hide/seek to {@code vm} at {@link #BASE}, logging refused accesses to stderr. */
    public static HideSeek install(Vm vm) {
        return install(vm, System.err::println);
    }

    public static HideSeek install(Vm vm, Consumer<String> log) {
        HideSeek h = new HideSeek(log);
        vm.addBankedDevice(BASE, SIZE, h);
        return h;
    }

    @Override
    public long read(Vcpu vcpu, long offset, int size) {
        if (offset != SEEK || size != 1) throw refuse(vcpu, offset, size, false, "SEEK is a 1-byte read at +1");
        return walk(vcpu, false, 0);
    }

    @Override
    public void write(Vcpu vcpu, long offset, int size, long value) {
        if (offset != HIDE || size != 1) throw refuse(vcpu, offset, size, true, "HIDE is a 1-byte write at +0");
        walk(vcpu, true, (int) value & 0xff);
    }

    /**
     * KVM's kvm_pgtable_walk over the page at {@link #TARGET_IPA} with a leaf callback that reads, and for
     * a hide replaces, bits [58:51]. Returns the byte found (before the hide).
     */
    private int walk(Vcpu vcpu, boolean hide, int value) {
        MemorySlot slot = vcpu.vm().slotAt(TARGET_IPA);
        if (slot == null) throw refuse(vcpu, hide ? HIDE : SEEK, 1, hide, "no RAM at IPA 0x40000000");
        Stage2PageTable table = vcpu.stage2View().table();
        int[] found = {-1};
        synchronized (table) { // nothing may unmap the page between mapping it and the walk
            try {
                Stage2Faults.mapRam(vcpu, slot, TARGET_IPA);
            } catch (Stage2MemoryExhausted e) {
                throw refuse(vcpu, hide ? HIDE : SEEK, 1, hide, "no stage-2 table memory left to map IPA 0x40000000");
            }
            table.walk(TARGET_IPA, Stage2PageTable.PAGE_SIZE, Stage2PageTable.WALK_LEAF, (ipa, level, desc) -> {
                found[0] = (int) (desc >>> SHIFT) & 0xff;
                return hide ? desc & ~MASK | (long) value << SHIFT : desc;
            });
        }
        if (found[0] < 0) throw refuse(vcpu, hide ? HIDE : SEEK, 1, hide, "IPA 0x40000000 is not mapped");
        return found[0];
    }

    private BusError refuse(Vcpu vcpu, long offset, int size, boolean write, String why) {
        String line = String.format("hide-seek: vCPU %d: %d-byte %s at 0x%08x refused (%s): external abort in the guest",
                vcpu.id(), size, write ? "write" : "read", BASE + offset, why);
        String extra = null;
        synchronized (this) {
            long now = System.nanoTime();
            if (windowStart == Long.MIN_VALUE || now - windowStart >= LOG_WINDOW_SECONDS * 1_000_000_000L) {
                if (suppressed > 0) extra = "hide-seek: " + suppressed + " refused accesses not logged";
                windowStart = now;
                logged = suppressed = 0;
            }
            if (logged < LOG_BURST) logged++;
            else {
                suppressed++;
                line = null;
            }
        }
        if (extra != null) log.accept(extra);
        if (line != null) log.accept(line);
        return BusError.INSTANCE;
    }
}
