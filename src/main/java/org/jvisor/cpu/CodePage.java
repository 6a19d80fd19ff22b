package org.jvisor.cpu;

/**
 * One 4 KiB page of guest RAM that holds code, shared by every processor on the bus: the decoded form of
 * each instruction word (a slot), how often each instruction was branched to, and the page's translation
 * into JVM bytecode once its code is hot. The whole object is dropped when the page is written (see
 * {@link PhysicalBus#invalidateCode}) or when its translation could hold what a store overwrote, so nothing in
 * it can outlive the code it was made from; a store to a page without a translation only clears the slots
 * it overwrote ({@link PhysicalBus#codeStored}).
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
    /** Guest stores between two checks that the page still runs (see {@link PhysicalBus#codeStored}). */
    static final int STORES_PER_PROBE = 512;
    /** Guest stores since the last check (racing processors may lose counts, which only delays it). */
    int stores;
    /** Set when the last check cleared every slot; cleared by the next decode from the page. */
    boolean probing;
    /**
     * Set once IC IVAU has dropped this page often ({@link PhysicalBus#invalidateCodeAt}): IC IVAU then clears
     * the line's slots in this page instead of dropping it, and the page is never translated and counts no
     * heat (a heat increment is a read-modify-write of a slot, which could write back a word just cleared).
     */
    volatile boolean inPlace;
    /**
     * Translations made of this page so far (capped: see {@link Translator#MAX_TRANSLATIONS_PER_PAGE}); set past
     * every cap for a page that must stay interpreted ({@link PhysicalBus#TRANSLATIONS_REWRITTEN_MAX}).
     */
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
