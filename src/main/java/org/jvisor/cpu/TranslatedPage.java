package org.jvisor.cpu;

import java.util.Arrays;

/**
 * A translation of a {@link CodePage}: one or more methods (a page's hot code may not fit in one, see
 * {@link Translator}), and which instruction of the page starts which block of which of them.
 */
final class TranslatedPage {
    final TranslatedCode[] codes;
    /** Per method, its blocks by instruction index (-1: none there). */
    final short[][] blocks;
    /** Per method, the instruction indexes it was asked to enter at (kept so that a retranslation keeps them). */
    final int[][] entries;
    /** Per instruction index (0-1023): method << 16 | block, the first method with a block there, or -1. */
    private final int[] at = new int[1024];

    TranslatedPage(TranslatedCode[] codes, short[][] blocks, int[][] entries) {
        this.codes = codes;
        this.blocks = blocks;
        this.entries = entries;
        Arrays.fill(at, -1);
        for (int m = codes.length - 1; m >= 0; m--)
            for (int i = 0; i < 1024; i++) if (blocks[m][i] >= 0) at[i] = m << 16 | blocks[m][i];
    }

    /** Where instruction {@code index} is entered: method << 16 | block, or -1. */
    int blockAt(int index) { return at[index]; }

    /** This translation with its last method replaced ({@code replaceLast}) or one more added. */
    TranslatedPage with(TranslatedCode code, short[] blockAt, int[] entries, boolean replaceLast) {
        int n = replaceLast ? codes.length : codes.length + 1;
        TranslatedCode[] c = Arrays.copyOf(codes, n);
        short[][] b = Arrays.copyOf(blocks, n);
        int[][] e = Arrays.copyOf(this.entries, n);
        c[n - 1] = code;
        b[n - 1] = blockAt;
        e[n - 1] = entries;
        return new TranslatedPage(c, b, e);
    }
}
