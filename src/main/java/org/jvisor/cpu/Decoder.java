package org.jvisor.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Compiles the encoding tables of every instruction group into a lookup: the instruction's top
 * {@value #KEY_BITS} bits select a bucket holding the encodings that can match, most specific first
 * (as decodetree and dynarmic sort them). Decoding happens once per instruction per code page, so the
 * bucket scan is not on the hot path.
 */
public final class Decoder {
    static final int KEY_BITS = 11;
    /** The op of every word no encoding claims: raises Undefined Instruction. */
    public static final int UNALLOCATED = 1;

    /** A decoded op: group number in bits [15:12], the group's local op in bits [11:0]. */
    public static int op(int group, int local) { return (group << 12) | local; }

    private record Entry(Encoding enc, int mask, int value, int op) {}

    private static final Entry[][] BUCKETS = build();

    private Decoder() {}

    public static int decode(int insn) {
        for (Entry e : BUCKETS[insn >>> (32 - KEY_BITS)]) if ((insn & e.mask) == e.value) return e.op;
        return UNALLOCATED;
    }

    /** The name of the encoding {@code insn} decodes to, for traces and tests ("UNALLOCATED" if none). */
    public static String nameOf(int insn) {
        for (Entry e : BUCKETS[insn >>> (32 - KEY_BITS)]) if ((insn & e.mask) == e.value) return e.enc.name();
        return "UNALLOCATED";
    }

    private static Entry[][] build() {
        List<Entry> all = new ArrayList<>();
        for (int g = 1; g < Executor.GROUPS.length; g++) {
            Encoding[] table = Executor.GROUPS[g];
            if (table == null) continue;
            for (Encoding e : table) all.add(new Entry(e, e.mask(), e.value(), op(g, e.op())));
        }
        all.sort(Comparator.comparingInt((Entry e) -> Integer.bitCount(e.mask)).reversed());
        @SuppressWarnings("unchecked")
        List<Entry>[] lists = new List[1 << KEY_BITS];
        for (int k = 0; k < lists.length; k++) lists[k] = new ArrayList<>();
        int shift = 32 - KEY_BITS;
        for (Entry e : all) {
            int km = e.mask >>> shift, kv = e.value >>> shift;
            for (int k = 0; k < lists.length; k++) if ((k & km) == kv) lists[k].add(e);
        }
        Entry[][] out = new Entry[lists.length][];
        for (int k = 0; k < lists.length; k++) out[k] = lists[k].toArray(new Entry[0]);
        return out;
    }

    /** Every encoding of every group (for tests and documentation). */
    public static List<Encoding> encodings() {
        List<Encoding> l = new ArrayList<>();
        for (Encoding[] t : Executor.GROUPS) if (t != null) l.addAll(Arrays.asList(t));
        return l;
    }
}
