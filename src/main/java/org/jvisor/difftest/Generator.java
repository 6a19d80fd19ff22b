package org.jvisor.difftest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.jvisor.cpu.Decoder;
import org.jvisor.cpu.Encoding;
import org.jvisor.cpu.InstructionGroups;

/**
 * Makes random sequences from the encoding tables: pick a group, an encoding, fill its variable bits
 * (biased to edge values), then make the word safe to run: memory instructions get a base register set
 * just before them to point into the scratch area (offsets kept small, exclusives and atomics aligned),
 * branches get forward targets inside the sequence, and words whose reference behaviour is not the
 * processor's (SVC, timers, ID registers Linux emulates, WFI/WFE) are not generated.
 */
final class Generator {
    /**
     * Base addresses point near the middle of the first half of the scratch area (every access stays within
     * a few hundred bytes of it), or of the second half for load/store-exclusives: no other store can hit
     * a monitored address, since whether such a store clears the local monitor is IMPLEMENTATION DEFINED
     * (and QEMU's store-exclusive compares values instead).
     */
    static final int SCRATCH_MID = Layout.SCRATCH_SIZE / 4, EXCLUSIVE_MID = Layout.SCRATCH_SIZE * 3 / 4;

    private static final long[] EDGES = {
            0, 1, -1, 2, 0x7fffffffL, 0x80000000L, 0xffffffffL, 0xffffffff80000000L, 0x7fffffffffffffffL,
            0x8000000000000000L, 0x8000000000000001L, 0x100000000L, 31, 32, 33, 63, 64, 65, 127, 128, 255,
            0x5555555555555555L, 0xaaaaaaaaaaaaaaaaL, 0xffff0000L, 0xffffL, 0x8000L, 0x80L, 0xffffffff00000000L,
            0x00000000fffffffeL, 0xfffffffffffffffeL, 0x0000ffff0000ffffL, 0x123456789abcdef0L,
    };

    private final Random rnd;
    private final Map<String, List<Encoding>> tables = new LinkedHashMap<>();
    private final List<String> groups;
    private final Profile profile;
    private final boolean canSetSp;
    /** Whether sequences carry FP/SIMD state (V0-V31, FPCR, FPSR), set and compared by the harness. */
    private final boolean fp;
    private final FpValues fpValues;
    /** The last load-exclusive of the sequence being generated: scratch offset, size bits, pair bit; offset -1 if none. */
    private int exclOffset = -1, exclSize, exclPair;

    /**
     * {@code tables}: the encodings to draw from, by group name (groups with no encodings are left out);
     * sequences carry FP/SIMD state if a group of {@link InstructionGroups#FP_GROUPS} is among them.
     */
    Generator(long seed, Map<String, List<Encoding>> tables, Profile profile) {
        this(seed, tables, profile, tables.keySet().stream().anyMatch(InstructionGroups.FP_GROUPS::contains));
    }

    Generator(long seed, Map<String, List<Encoding>> tables, Profile profile, boolean fp) {
        this.rnd = new Random(seed);
        this.fp = fp;
        this.fpValues = new FpValues(rnd);
        for (var e : tables.entrySet()) {
            List<Encoding> usable = e.getValue().stream().filter(Generator::generable).toList();
            if (!usable.isEmpty()) this.tables.put(e.getKey(), usable);
        }
        this.groups = List.copyOf(this.tables.keySet());
        this.profile = profile;
        // Setting SP before an SP-based access needs ADD (immediate), which comes with the dp group.
        this.canSetSp = !Decoder.nameOf(A64.addImm(A64.SP, 0, 0)).equals("UNALLOCATED");
    }

    boolean isEmpty() { return groups.isEmpty(); }

    /** Encodings the generator can place safely; others (unknown branch kinds, SVC) are left out. */
    static boolean generable(Encoding e) {
        String n = e.name();
        if (n.equals("SVC") || n.startsWith("SVC ")) return false;
        if (e.pattern().startsWith("000101") || e.pattern().startsWith("100101")) return n.equals("B") || n.equals("BL");
        return switch (n) {
            case "ERET", "ERETAA", "ERETAB", "DRPS", "BRAA", "BRAB", "BLRAA", "BLRAB", "BRAAZ", "BRABZ", "BLRAAZ",
                 "BLRABZ", "RETAA", "RETAB" -> false;
            default -> true;
        };
    }

    Sequence next(int length) {
        long[] x = new long[31];
        // FP/SIMD sequences also get FP bit patterns in general registers (FMOV, DUP, INS sources) and memory.
        for (int k = 0; k < 31; k++) x[k] = fp && rnd.nextInt(5) == 0 ? fpValues.lanes() : value();
        byte[] scratch = new byte[Layout.SCRATCH_SIZE];
        for (int off = 0; off < scratch.length; off += 8) {
            long v = fp && rnd.nextInt(3) == 0 ? fpValues.lanes() : rnd.nextInt(4) == 0 ? rnd.nextLong() : value();
            for (int k = 0; k < 8; k++) scratch[off + k] = (byte) (v >>> (8 * k));
        }
        int spOffset = SCRATCH_MID + 16 * (rnd.nextInt(16) - 8);
        List<Unit> units = new ArrayList<>();
        exclOffset = -1;
        for (int i = 0; i < length; i++) units.add(unit(i, length));
        return new Sequence(x, spOffset, rnd.nextInt(16), scratch, units, profile, fp ? fpValues.state() : null);
    }

    /** A 64-bit operand, mostly edge values. */
    long value() {
        int r = rnd.nextInt(10);
        if (r < 6) {
            long v = EDGES[rnd.nextInt(EDGES.length)];
            return switch (rnd.nextInt(6)) {
                case 0 -> v + 1;
                case 1 -> v - 1;
                case 2 -> ~v;
                default -> v;
            };
        }
        return switch (r) {
            case 6 -> rnd.nextLong();
            case 7 -> rnd.nextLong() & 0xffffffffL;
            case 8 -> rnd.nextInt(130);
            default -> (long) rnd.nextInt();
        };
    }

    /**
     * Each group's part of the A64 encoding space as (mask, value) pairs: a few words are drawn from it at
     * random, whatever jvisor's tables say, to find encodings QEMU implements and jvisor does not (or the
     * reverse). SIMD&FP loads and stores are left out: no group implements them yet.
     */
    private static final Map<String, int[]> CLASSES = Map.of(
            "dp", new int[] {0x1c000000, 0x10000000, 0x0e000000, 0x0a000000},
            "ls", new int[] {0x0e000000, 0x08000000},
            "branch", new int[] {0x7c000000, 0x14000000, 0xff000010, 0x54000000, 0x7c000000, 0x34000000, 0xfe000000, 0xd6000000},
            "lse", new int[] {0x3b200c00, 0x38200000, 0x3fa00000, 0x08a00000},
            "sys", new int[] {0xff000000, 0xd4000000, 0xffc00000, 0xd5000000});

    private static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(java.util.Arrays::stream).toArray();
    }

    /** Share of units drawn from a group's whole encoding space rather than from its table. */
    static final int RANDOM_WORD_PERCENT = 5;

    private Unit unit(int index, int length) {
        // Half the time every encoding is as likely as any other; otherwise every group is, so small groups
        // (branches, atomics) are not drowned by large ones.
        String group;
        if (rnd.nextBoolean()) {
            int total = 0;
            for (List<Encoding> t : tables.values()) total += t.size();
            int k = rnd.nextInt(total);
            group = null;
            for (var e : tables.entrySet()) {
                if (k < e.getValue().size()) {
                    group = e.getKey();
                    break;
                }
                k -= e.getValue().size();
            }
        } else {
            group = groups.get(rnd.nextInt(groups.size()));
        }
        List<Encoding> table = tables.get(group);
        int[] space = CLASSES.get(group);
        boolean anyWord = space != null && rnd.nextInt(100) < RANDOM_WORD_PERCENT;
        for (int attempt = 0; ; attempt++) {
            List<Insn> insns;
            if (anyWord) {
                int c = 2 * rnd.nextInt(space.length / 2);
                insns = place((rnd.nextInt() & ~space[c]) | space[c + 1], null, index, length);
            } else {
                Encoding e = table.get(rnd.nextInt(table.size()));
                insns = place(fill(e), e, index, length);
            }
            if (insns != null) return new Unit(group, insns);
            if (attempt > 1000) throw new IllegalStateException("cannot generate a safe instruction for group " + group);
        }
    }

    /** The pattern's fixed bits with every variable field filled, field by field. */
    int fill(Encoding e) {
        String p = e.pattern();
        int w = 0;
        int i = 0;
        while (i < 32) {
            char c = p.charAt(i);
            int j = i;
            while (j < 32 && p.charAt(j) == c) j++;
            int width = j - i, shift = 32 - j;
            long bits = (c == '0' || c == '1') ? (c == '1' ? (1L << width) - 1 : 0) : field(width);
            w |= (int) (bits << shift);
            i = j;
        }
        return w;
    }

    /** A field value, biased to 0, 1, all ones, the top bit, and shift widths. */
    private long field(int width) {
        // Register fields favour a few registers, so instructions consume each other's results.
        if (width == 5 && rnd.nextInt(10) < 4) return rnd.nextInt(8);
        long mask = width == 64 ? -1 : (1L << width) - 1;
        if (rnd.nextInt(10) < 3) {
            long[] edges = {0, 1, mask, 1L << (width - 1), (1L << (width - 1)) - 1, 31, 32, 63, 15, 16};
            return edges[rnd.nextInt(edges.length)] & mask;
        }
        return rnd.nextLong() & mask;
    }

    /** The unit's words for {@code w}, or null if this word cannot be made safe (try another). */
    private List<Insn> place(int w, Encoding e, int index, int length) {
        // The LSE reference (cortex-a76) also has FEAT_LRCPC and FEAT_LOR, which jvisor's model (ARMv8.0 with
        // LSE) does not claim.
        if (profile == Profile.LSE && ((w & 0x3ffffc00) == 0x38bfc000 // LDAPR
                || (w & 0x3fa08000) == 0x08800000)) return null; // LDLAR, STLLR
        List<Insn> pre = new ArrayList<>();
        Insn main;
        if (isLoadStore(w)) {
            Integer fixed = placeMemory(w, index, pre);
            if (fixed == null) return null;
            main = Insn.fixed(fixed);
        } else if (isBranch(w)) {
            main = placeBranch(w, e, index, length, pre);
            if (main == null) return null;
        } else if (isSystem(w)) {
            Integer fixed = placeSystem(w, pre);
            if (fixed == null) return null;
            main = Insn.fixed(fixed);
        } else {
            main = Insn.fixed(w);
        }
        pre.add(main);
        return pre;
    }

    // ---- branches ------------------------------------------------------------------------------------

    static boolean isBranch(int w) {
        return (w & 0x7c000000) == 0x14000000 // B, BL
                || (w & 0xff000010) == 0x54000000 // B.cond
                || (w & 0x7e000000) == 0x34000000 // CBZ, CBNZ
                || (w & 0x7e000000) == 0x36000000 // TBZ, TBNZ
                || (w & 0xfe000000) == 0xd6000000; // branch to register
    }

    private Insn placeBranch(int w, Encoding e, int index, int length, List<Insn> pre) {
        int target = index + 1 + rnd.nextInt(length - index); // a later unit or the end
        if ((w & 0x7c000000) == 0x14000000) return new Insn(w, Insn.Fix.BRANCH26, target);
        if ((w & 0xff000010) == 0x54000000 || (w & 0x7e000000) == 0x34000000) return new Insn(w, Insn.Fix.BRANCH19, target);
        if ((w & 0x7e000000) == 0x36000000) return new Insn(w, Insn.Fix.BRANCH14, target);
        // Only BR, BLR, RET (and their register field) are generated; others may jump anywhere.
        int opc = w & 0xfffffc1f;
        if (opc != 0xd61f0000 && opc != 0xd63f0000 && opc != 0xd65f0000) return null;
        int n = rnd.nextInt(31);
        w = (w & ~(31 << 5)) | n << 5;
        pre.add(new Insn(A64.movz(n, 0, 0), Insn.Fix.CODE_LO, target));
        pre.add(new Insn(A64.movk(n, 0, 1), Insn.Fix.CODE_HI, target));
        return Insn.fixed(w);
    }

    // ---- loads and stores ----------------------------------------------------------------------------

    static boolean isLoadStore(int w) { return (w & 0x0a000000) == 0x08000000; }

    /** Constrains a load/store word (Arm ARM load/store encoding classes); null if it cannot be run safely. */
    private Integer placeMemory(int w, int index, List<Insn> pre) {
        int rt = w & 31, rn = (w >>> 5) & 31, rt2 = (w >>> 10) & 31, rs = (w >>> 16) & 31;
        boolean load = (w & (1 << 22)) != 0;
        boolean vector = (w & (1 << 26)) != 0; // Rt (and Rt2) are SIMD&FP registers
        boolean aligned = false, writeback = false, pair = false;
        int fixedOffset = -1, mid = SCRATCH_MID;
        // Store-exclusives and CAS may or may not check permissions when they do not write (IMPLEMENTATION
        // DEFINED / CONSTRAINED UNPREDICTABLE): they never get a faulting address.
        boolean mayFault = true;
        int rm = -1; // the index register of a register-offset form, set before the base
        if ((w & 0x3f000000) == 0x08000000) { // exclusive, acquire/release, compare-and-swap
            aligned = true;
            boolean o2 = (w & (1 << 23)) != 0, o1 = (w & (1 << 21)) != 0;
            if (!o2) mid = EXCLUSIVE_MID;
            if ((!o2 && !load) || (o2 && o1)) mayFault = false;
            if (!o2 && !load && (rs == rt || (rs == rn && rn != 31) || (o1 && rs == rt2))) return null;
            if (!o2 && load && o1 && rt == rt2) return null;
            if (!o2 && !load) {
                // A store-exclusive either matches the last load-exclusive exactly (address, size, pair) or
                // targets another reservation granule: anything between is CONSTRAINED UNPREDICTABLE. It is
                // always aligned: QEMU checks the monitor before alignment, the architecture after.
                if (exclOffset >= 0 && rnd.nextInt(10) < 7) {
                    w = (w & ~(3 << 30) & ~(1 << 21)) | exclSize << 30 | exclPair << 21;
                    fixedOffset = exclOffset & ~15;
                } else {
                    do fixedOffset = EXCLUSIVE_MID + 16 * (rnd.nextInt(16) - 8);
                    while (exclOffset >= 0 && (fixedOffset >> 6) == (exclOffset >> 6));
                }
            }        } else if ((w & 0xbe000000) == 0x0c000000) { // SIMD structures (LD1-LD4, ST1-ST4, LDnR), at most 64 bytes
            writeback = (w & (1 << 23)) != 0; // post-index by the size (Rm = 31) or by Xm, whatever it holds
        } else if ((w & 0x3b000000) == 0x18000000) { // load literal: stay near the sequence
            return (w & ~(0x7ffff << 5)) | ((rnd.nextInt(128) - 64) & 0x7ffff) << 5;
        } else if ((w & 0x3a000000) == 0x28000000) { // pairs
            pair = true;
            int kind = (w >>> 23) & 3;
            writeback = kind == 1 || kind == 3;
            if (load && rt == rt2) return null; // CONSTRAINED UNPREDICTABLE for SIMD&FP registers too
            w = (w & ~(0x7f << 15)) | ((rnd.nextInt(16) - 8) & 0x7f) << 15;
        } else if ((w & 0x3b000000) == 0x38000000) {
            if ((w & (1 << 21)) == 0) { // 9-bit signed offset: unscaled, post-index, unprivileged, pre-index
                int kind = (w >>> 10) & 3;
                writeback = kind == 1 || kind == 3;
                w = (w & ~(0x1ff << 12)) | ((rnd.nextInt(128) - 64) & 0x1ff) << 12;
            } else if (((w >>> 10) & 3) == 2) { // register offset: a small index in Xm
                rm = rs;
                if (rm == rn && rn != 31) {
                    rm = (rn + 1 + rnd.nextInt(30)) % 31;
                    w = (w & ~(31 << 16)) | rm << 16;
                }
                if (rm != 31) {
                    pre.add(Insn.fixed(A64.movz(rm, rnd.nextInt(32), 0)));
                }
            } else if (((w >>> 10) & 3) == 0) { // atomic memory operations
                aligned = true;
            }
        } else if ((w & 0x3b000000) == 0x39000000) { // unsigned scaled 12-bit offset
            w = (w & ~(0xfff << 10)) | rnd.nextInt(16) << 10;
        } else if ((w & 0x3f000000) == 0x19000000) { // LDAPUR/STLUR: 9-bit unscaled
            w = (w & ~(0x1ff << 12)) | ((rnd.nextInt(128) - 64) & 0x1ff) << 12;
        } else {
            return null; // other classes (SIMD structure loads...) are not generated
        }
        if (writeback && rn != 31 && !vector && (rt == rn || (pair && rt2 == rn))) return null;

        int offset;
        if (fixedOffset >= 0) offset = fixedOffset;
        else if (aligned) offset = mid + 16 * (rnd.nextInt(16) - 8) + (rnd.nextInt(10) == 0 ? 1 + rnd.nextInt(15) : 0);
        else offset = mid + (rnd.nextInt(2) == 0 ? 8 * (rnd.nextInt(32) - 16) : rnd.nextInt(256) - 128);
        if ((w & 0x3fc00000) == 0x08400000) { // load-exclusive: what a later store-exclusive may match
            exclOffset = offset;
            exclSize = w >>> 30;
            exclPair = (w >>> 21) & 1;
        }
        if (rn == 31) {
            if (!canSetSp) {
                rn = rnd.nextInt(31);
                if (rn == rm) return null;
                if (writeback && !vector && (rt == rn || (pair && rt2 == rn))) return null;
                w = (w & ~(31 << 5)) | rn << 5;
            } else {
                int tmp = rnd.nextInt(31);
                if (tmp == rm) return null;
                pre.add(new Insn(A64.movz(tmp, 0, 0), Insn.Fix.DATA_LO, offset));
                pre.add(new Insn(A64.movk(tmp, 0, 1), Insn.Fix.DATA_HI, offset));
                pre.add(Insn.fixed(A64.addImm(A64.SP, tmp, 0)));
                return w;
            }
        }
        if (mayFault && rnd.nextInt(100) < BAD_ADDRESS_PERCENT) {
            int kind = rnd.nextInt(3);
            if (kind == 2 && !aligned) { // the end of the probe page: part of the access readable, the rest unmapped
                long a = Layout.PROBE_BASE + Layout.PROBE_SIZE - 1 - rnd.nextInt(64);
                pre.add(Insn.fixed(A64.movz(rn, (int) a, 0)));
                pre.add(Insn.fixed(A64.movk(rn, (int) (a >>> 16), 1)));
            } else if (kind == 0) { // unmapped on both sides
                long a = UNMAPPED + offset;
                pre.add(Insn.fixed(A64.movz(rn, (int) a, 0)));
                pre.add(Insn.fixed(A64.movk(rn, (int) (a >>> 16), 1)));
            } else { // this very code: loads read it, stores fault (the segment is read-only)
                pre.add(new Insn(A64.movz(rn, 0, 0), Insn.Fix.CODE_LO, index));
                pre.add(new Insn(A64.movk(rn, 0, 1), Insn.Fix.CODE_HI, index));
            }
            return w;
        }
        pre.add(new Insn(A64.movz(rn, 0, 0), Insn.Fix.DATA_LO, offset));
        pre.add(new Insn(A64.movk(rn, 0, 1), Insn.Fix.DATA_HI, offset));
        return w;
    }

    /** Share of memory accesses given an unmapped or read-only address: faults must leave registers alone. */
    static final int BAD_ADDRESS_PERCENT = 4;
    /** An address no segment maps, on either side. */
    static final long UNMAPPED = 0x7000_0000L;

    // ---- system instructions -------------------------------------------------------------------------

    static boolean isSystem(int w) { return (w & 0xffc00000) == 0xd5000000 || (w & 0xff000000) == 0xd4000000; }

    /** EL0-visible system registers as (op0, op1, CRn, CRm, op2), and a few EL1 ones that must trap. */
    private static final int[][] SYSREGS = {
            {3, 3, 4, 2, 0}, // NZCV
            {3, 3, 4, 2, 1}, // DAIF
            {3, 3, 4, 4, 0}, // FPCR
            {3, 3, 4, 4, 1}, // FPSR
            {3, 3, 0, 0, 1}, // CTR_EL0
            {3, 3, 0, 0, 7}, // DCZID_EL0
            {3, 3, 13, 0, 2}, // TPIDR_EL0
            {3, 3, 13, 0, 3}, // TPIDRRO_EL0
            {3, 3, 14, 0, 0}, // CNTFRQ_EL0
            {3, 0, 1, 0, 0}, // SCTLR_EL1
            {3, 0, 12, 0, 0}, // VBAR_EL1
            {3, 0, 4, 2, 2}, // CurrentEL
            {3, 0, 4, 0, 1}, // ELR_EL1
    };

    /** SYS operations as (op1, CRn, CRm, op2): the cache maintenance EL0 may do, and EL1 ones that must trap. */
    private static final int[][] SYS_OPS = {
            {3, 7, 4, 1}, // DC ZVA
            {3, 7, 10, 1}, // DC CVAC
            {3, 7, 11, 1}, // DC CVAU
            {3, 7, 14, 1}, // DC CIVAC
            {3, 7, 5, 1}, // IC IVAU
            {0, 7, 6, 1}, // DC IVAC
            {0, 7, 5, 0}, // IC IALLU
            {0, 8, 7, 0}, // TLBI VMALLE1
            {0, 7, 8, 2}, // AT S1E0R
    };

    private Integer placeSystem(int w, List<Insn> pre) {
        if ((w & 0xffe0001f) == 0xd4000001) return null; // SVC would make a real system call under QEMU
        if (w == 0xd503205f || w == 0xd503207f) return null; // WFE, WFI: scheduling, not state
        if ((w & 0xffc00000) != 0xd5000000) return w;
        boolean regMove = (w & 0x00100000) != 0; // op0 >= 2: MRS/MSR (register)
        if (regMove) {
            if (rnd.nextInt(10) < 7) {
                int[] r = SYSREGS[rnd.nextInt(SYSREGS.length)];
                w = (w & 0xfff0001f) | (r[0] & 1) << 19 | r[1] << 16 | r[2] << 12 | r[3] << 8 | r[4] << 5;
            }
            int op0 = 2 + ((w >>> 19) & 1), op1 = (w >>> 16) & 7, crn = (w >>> 12) & 15;
            // ID registers (Linux emulates them for EL0), PMU and timers (host time) are not compared.
            boolean cntfrq = (w & 0x001fffe0) == 0x001be000;
            if (op0 == 3 && ((op1 == 0 && crn == 0) || crn == 9 || (crn == 14 && !cntfrq))) return null;
            // FPCR.Len and Stride only exist for AArch32 (QEMU's cortex-a57 has it and keeps them; jvisor is
            // AArch64-only, where they are RES0): MSR FPCR gets a value with them clear.
            if ((w & 0xffffffe0) == A64.msrFpcr(0) && (w & 31) != 31) {
                int t = w & 31;
                pre.add(Insn.fixed(0x926df000 | t << 5 | t)); // and xt, xt, #~0x70000 (Len)
                pre.add(Insn.fixed(0x926af400 | t << 5 | t)); // and xt, xt, #~0x300000 (Stride)
            }
            return w;
        }
        if ((w & 0x00180000) == 0x00080000) { // SYS/SYSL (op0 = 1): DC/IC by address use Xt as an address
            if ((w & 0x00200000) == 0 && rnd.nextInt(10) < 6) {
                int[] op = SYS_OPS[rnd.nextInt(SYS_OPS.length)];
                w = (w & 0xfff8001f) | op[0] << 16 | op[1] << 12 | op[2] << 8 | op[3] << 5;
            }
            // Always a mapped address: QEMU does not fault DC CVAC & co. on unmapped ones (Linux does), and
            // reports a DC ZVA fault at the wrong PC.
            int t = w & 31;
            if (t == 31) {
                t = rnd.nextInt(31);
                w = (w & ~31) | t;
            }
            int offset = SCRATCH_MID + rnd.nextInt(256) - 128;
            pre.add(new Insn(A64.movz(t, 0, 0), Insn.Fix.DATA_LO, offset));
            pre.add(new Insn(A64.movk(t, 0, 1), Insn.Fix.DATA_HI, offset));
        }
        return w;
    }
}
