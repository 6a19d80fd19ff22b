package org.jvisor.cpu;

/**
 * One 4 KiB page of guest RAM that holds code, shared by every processor on the bus: the decoded form of
 * each instruction word (a slot), how often each instruction was branched to, and the page's translation
 * into JVM bytecode once its code is hot. The whole object is dropped when the page is written (see
 * {@link PhysicalBus#invalidateCode}), so nothing in it can outlive the code it was made from.
 *
 * <p>A slot is {@code insn << 32 | heat << 16 | op}: 0 until decoded, then written whole (a racing reader
 * sees 0 or a valid slot). The heat, counted by the interpreter on branches to the instruction, is
 * approximate: racing processors may lose increments, which only delays a translation.
 */
final class CodePage {
    final long[] slots = new long[1024];
    final PhysicalBus.RamRegion region;
    /** Offset of the page in {@link #region}. */
    final long offset;
    /** The current translation, or null; replaced whole when a new hot entry makes the page retranslated. */
    volatile TranslatedPage translated;
    /** Translations made of this page so far (capped: see {@link Translator#MAX_TRANSLATIONS_PER_PAGE}). */
    int translations;
    /** Instructions of this page run interpreted ({@link TranslationProfile}). */
    long profileInterpreted;
    long[] profileCounts;

    CodePage(PhysicalBus.RamRegion region, long offset) {
        this.region = region;
        this.offset = offset;
    }

    /** The instruction word at index {@code i} (0-1023), read from RAM. */
    int word(int i) { return region.segment.get(PhysicalBus.W, offset + 4L * i); }

    static int op(long slot) { return (int) slot & 0xffff; }

    static int insn(long slot) { return (int) (slot >>> 32); }

    static int heat(long slot) { return ((int) slot >>> 16) & 0xffff; }
}
