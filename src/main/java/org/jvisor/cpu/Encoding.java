package org.jvisor.cpu;

/**
 * One instruction encoding, declared as data: a name (the Arm ARM's), the 32-bit pattern as written in
 * the architecture with named fields ('0'/'1' fixed, letters are fields, '-' and 'x' don't care; '_' may
 * separate groups and is ignored), and the handler's op number within its group. The letters that
 * {@link Fields} names (d, n, m, t, u, a, S, Q, i) mean the same field in every table, read by its extractor.
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

    private static boolean isFixed(char c) { return c == '0' || c == '1'; }
}
