package org.jvisor.cli;

import java.util.LinkedHashSet;
import java.util.List;
import org.jvisor.cpu.Translation;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --translate off|on|force}, on every command that runs guest code: whether the processors it creates
 * translate hot guest code to JVM bytecode ({@link Translation}). Without the option they take the process's
 * default ({@code -Djvisor.translate}, else on). A picocli mixin: {@code @Mixin TranslateOption translate;}
 * and {@link #apply()} before any processor is made.
 */
final class TranslateOption {
    static final String LABEL = "off|on|force";

    @HostSide // how the processor runs the guest, not what it runs
    @Option(names = "--translate", paramLabel = LABEL, converter = Converter.class, completionCandidates = Names.class,
            description = "Run hot guest code translated to JVM bytecode (on, the default), only interpreted (off),"
                    + " or translate every block the first time it runs (force, for testing the translator).")
    Translation mode;

    /** Makes the option's mode the default of the processors created from now on; without the option, changes nothing. */
    void apply() {
        if (mode != null) Translation.setDefault(mode);
    }

    /** The mode processors get: the option's, else the process's default. */
    Translation mode() { return mode != null ? mode : Translation.processDefault(); }

    /**
     * The benchmarks' {@code --translate MODE[,MODE...]}: each mode measured in the same run, one row each,
     * in the order given.
     */
    static final class Modes {
        @Option(names = "--translate", paramLabel = "MODE[,MODE...]", split = ",", converter = Converter.class, completionCandidates = Names.class,
                description = "Translation modes to measure jvisor in, each a row of its own: off (interpreter), on, force"
                        + " (default: the process's default, on unless -Djvisor.translate says otherwise).")
        List<Translation> modes;

        /** The modes asked for, each once, or the process's default alone. */
        List<Translation> modes() {
            if (modes == null || modes.isEmpty()) return List.of(Translation.processDefault());
            if (new LinkedHashSet<>(modes).size() != modes.size())
                throw new UserError("--translate " + String.join(",", modes.stream().map(TranslateOption::name).toList()) + ": each mode once");
            return List.copyOf(modes);
        }
    }

    /** The mode as the option spells it: off, on, force. */
    static String name(Translation t) { return t.name().toLowerCase(java.util.Locale.ROOT); }

    /** The modes as the option spells them, for bash completion (picocli would offer the enum's OFF, ON, FORCE). */
    static final class Names implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(Translation.values()).map(TranslateOption::name).iterator();
        }
    }

    /** {@link Translation#parse}'s answer as picocli's: a bad value is one line naming the choices. */
    static final class Converter implements ITypeConverter<Translation> {
        @Override
        public Translation convert(String value) {
            try {
                return Translation.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
