package org.jvisor.cpu;

/** A translation of a {@link CodePage}: the code, and which instruction of the page starts which of its blocks. */
final class TranslatedPage {
    final TranslatedCode code;
    /** Per instruction index (0-1023), the block that starts there, or -1. */
    private final short[] blockAt;
    /** The instruction indexes it was asked to enter at (kept so that a retranslation keeps them). */
    final int[] entries;

    TranslatedPage(TranslatedCode code, short[] blockAt, int[] entries) {
        this.code = code;
        this.blockAt = blockAt;
        this.entries = entries;
    }

    int blockAt(int index) { return blockAt[index]; }
}
