package org.jvisor.cpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Translates hot guest code into JVM bytecode, one code page at a time (see {@link PageCompiler}), loaded
 * as a hidden class that the JVM unloads once the page's code is dropped. The interpreter counts branches
 * to each instruction; when an entry gets hot its page is translated with every hot entry known so far, so a
 * guest loop runs inside one JVM method that the JIT compiles as a whole.
 *
 * <p>Translation is keyed by physical page and takes the page's virtual address as an argument, so one
 * translation serves every alias of a page, and every processor on the bus.
 */
final class Translator {
    /** Branches to an instruction before its page is translated with it as an entry (1 under {@link Translation#FORCE}). */
    static final int HOT = Math.min(Integer.getInteger("jvisor.translate.hot", 50_000), 0xfffe); // a slot's heat has 16 bits
    /**
     * A page is translated at most this often (as its hot entries are found); its other entries then stay
     * interpreted. Forced translation allows more, so that tests run nearly everything translated.
     */
    static final int MAX_TRANSLATIONS_PER_PAGE = 16, MAX_FORCED_TRANSLATIONS_PER_PAGE = 64;
    /** Methods a page's translation is made of at most (each is one hidden class). */
    static final int MAX_METHODS_PER_PAGE = 4;
    /** Instructions a region starts with; halved until its method fits {@link PageCompiler#MAX_BYTECODE}. */
    static final int MAX_REGION = Integer.getInteger("jvisor.translate.region", 160);
    /** Heat value meaning "never translate an entry here" (its translation failed or the page's cap was reached). */
    static final int NEVER = 0xffff;

    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
    private static final AtomicLong COUNT = new AtomicLong();
    private static final MethodType CONSTRUCTOR = MethodType.methodType(void.class);

    private Translator() {}

    /**
     * Translates {@code page} with {@code entry} (an instruction index) among its entries and publishes the
     * result; returns it, or null if the page could not be translated with that entry.
     */
    static final AtomicLong NANOS = new AtomicLong(), INSNS = new AtomicLong(), BYTES = new AtomicLong();

    /** -Djvisor.translate.stats=true: one line on standard error at exit (see {@link Translation}). */
    static void printStatsAtExit() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.printf(
                "translator: %d translations, %d ms, %d guest insns, %d bytecode bytes%n",
                COUNT.get(), NANOS.get() / 1_000_000, INSNS.get(), BYTES.get())));
    }

    static TranslatedPage translate(PhysicalBus bus, CodePage page, int entry, boolean forced) {
        long t0 = System.nanoTime();
        try {
            return translate0(bus, page, entry, forced);
        } finally {
            NANOS.addAndGet(System.nanoTime() - t0);
        }
    }

    private static TranslatedPage translate0(PhysicalBus bus, CodePage page, int entry, boolean forced) {
        TranslatedPage old = page.translated;
        synchronized (page) {
            if (page.translations >= (forced ? MAX_FORCED_TRANSLATIONS_PER_PAGE : MAX_TRANSLATIONS_PER_PAGE)) return null;
            page.translations++;
        }
        // The last method again with this entry too, if its region still fits in one method whole; else a
        // method of its own (a big function's hot code spans several).
        if (old != null) {
            int last = old.codes.length - 1;
            int[] entries = append(old.entries[last], entry);
            Compiled c = compile(page, entries, forced, true);
            if (c != null) return publish(bus, page, old.with(c.code, c.blockAt, entries, true));
            if (old.codes.length >= MAX_METHODS_PER_PAGE) return null;
        }
        int[] entries = {entry};
        Compiled c = compile(page, entries, forced, false);
        if (c == null) return null;
        return publish(bus, page, old == null
                ? new TranslatedPage(new TranslatedCode[] {c.code}, new short[][] {c.blockAt}, new int[][] {entries})
                : old.with(c.code, c.blockAt, entries, false));
    }

    private record Compiled(TranslatedCode code, short[] blockAt) {}

    /**
     * One method for the region from {@code entries}, halving the region until its method fits; null if it
     * cannot be made, or with {@code whole}, if the region of {@link #MAX_REGION} instructions does not fit.
     */
    private static Compiled compile(CodePage page, int[] entries, boolean forced, boolean whole) {
        for (int cap = MAX_REGION; cap >= 1; cap /= 2) {
            if (whole && cap < MAX_REGION) return null;
            Region r = Region.form(page, entries, cap, !forced);
            byte[] bytes = PageCompiler.compile(r, "Translated");
            if (TranslationProfile.ON) System.err.printf("translate %x entries %s cap %d: %d insns, %d blocks, %s bytes%n",
                    page.region.base + page.offset, Arrays.toString(entries), cap, r.instructions, r.blocks(),
                    bytes == null ? "too many" : String.valueOf(PageCompiler.codeLength(bytes)));
            if (bytes == null) continue;
            TranslatedCode code;
            try {
                MethodHandles.Lookup hidden = LOOKUP.defineHiddenClass(bytes, true);
                code = (TranslatedCode) hidden.findConstructor(hidden.lookupClass(), CONSTRUCTOR).invoke();
            } catch (Throwable e) {
                throw new IllegalStateException("translated code failed to load", e);
            }
            COUNT.incrementAndGet();
            INSNS.addAndGet(r.instructions);
            BYTES.addAndGet(PageCompiler.codeLength(bytes));
            return new Compiled(code, r.blockAt);
        }
        return null;
    }

    private static TranslatedPage publish(PhysicalBus bus, CodePage page, TranslatedPage t) {
        return bus.publishTranslation(page, t) ? t : null;
    }

    private static int[] append(int[] a, int v) {
        for (int x : a) if (x == v) return a;
        int[] r = Arrays.copyOf(a, a.length + 1);
        r[a.length] = v;
        return r;
    }
}
