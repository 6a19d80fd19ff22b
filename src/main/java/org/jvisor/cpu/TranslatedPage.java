package org.jvisor.cpu;

/** A translation of a {@link CodePage}: the code, and which instruction of the page starts which of its blocks. */
final class TranslatedPage {
    final TranslatedCode code;
    /** Per instruction index (0-1023), the block that starts there, or -1. */
    private final short[] blockAt;
    /** The instruction indexes it was asked to enter at (kept so that a retranslation keeps them). */
    final int[] entries;
    /** Guest instructions translated, and the method's bytecode size (for statistics). */
    final int instructions, bytecodeSize;

    TranslatedPage(TranslatedCode code, short[] blockAt, int[] entries, int instructions, int bytecodeSize) {
        this.code = code;
        this.blockAt = blockAt;
        this.entries = entries;
        this.instructions = instructions;
        this.bytecodeSize = bytecodeSize;
    }

    int blockAt(int index) { return blockAt[index]; }
}
