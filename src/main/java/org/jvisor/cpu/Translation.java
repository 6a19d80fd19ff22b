package org.jvisor.cpu;

import java.util.Locale;

/**
 * Whether a processor translates guest code into JVM bytecode ({@link Translator}) or interprets it. Every
 * mode gives the same architectural results, instruction counts and exits: {@link #FORCE} exists so that
 * tests and the differential tester run everything through the translator.
 */
public enum Translation {
    /** Interpret every instruction. */
    OFF,
    /** Translate the code that runs often (the default). */
    ON,
    /** Translate every block the first time it is branched to (tests, {@code jvisor difftest --translate force}). */
    FORCE;

    static {
        if (Boolean.getBoolean("jvisor.translate.stats")) Translator.printStatsAtExit();
    }

    private static volatile Translation processDefault = parse(System.getProperty("jvisor.translate", "on"));

    /** The mode new processors start in: the system property {@code jvisor.translate} unless {@link #setDefault} changed it. */
    public static Translation processDefault() { return processDefault; }

    /** Sets the mode of processors created from now on (the CLI's {@code --translate}). */
    public static void setDefault(Translation t) { processDefault = java.util.Objects.requireNonNull(t); }

    /** Parses off, on or force (any case); anything else is an {@link IllegalArgumentException} naming the choices. */
    public static Translation parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("translation must be off, on or force, not '" + s + "'");
        }
    }
}
