package org.jvisor.cpu;

/**
 * One instruction encoding, declared as data: a name (the Arm ARM's), the 32-bit pattern as written in
 * the architecture with named fields ('0'/'1' fixed, letters are fields, '-' and 'x' don't care; '_' may
 * separate groups and is ignored), and the handler's op number within its group.
 */
public record Encoding(String name, String pattern, int op) {
    public Encoding {
        String p = pattern.replace("_", "");
        if (p.length() != 32) throw new IllegalArgumentException(name + ": pattern must have 32 bits: " + pattern);
        pattern = p;
    }

    public int mask() {
        int m = 0;
        for (int i = 0; i < 32; i++) if (isFixed(pattern.charAt(i))) m |= 1 << (31 - i);
        return m;
    }

    public int value() {
        int v = 0;
        for (int i = 0; i < 32; i++) if (pattern.charAt(i) == '1') v |= 1 << (31 - i);
        return v;
    }

    public boolean matches(int insn) { return (insn & mask()) == value(); }

    /** Extracts the named field (its letters need not be contiguous... but in A64 they are). */
    public int field(int insn, char name) {
        int lo = pattern.lastIndexOf(name), hi = pattern.indexOf(name);
        if (lo < 0) throw new IllegalArgumentException(name + " is not a field of " + this.name);
        int shift = 31 - lo, width = lo - hi + 1;
        return (insn >>> shift) & (int) ((1L << width) - 1);
    }

    private static boolean isFixed(char c) { return c == '0' || c == '1'; }
}
