package org.jvisor.cpu;

import java.util.Arrays;
import java.util.List;

/**
 * The encoding tables by instruction group, by the short names the tools use ({@code dp}, {@code ls},
 * {@code branch}, {@code lse}, {@code sys}), for generators and documentation outside this package.
 */
public final class InstructionGroups {
    /** Every group name, in a stable order. */
    public static final List<String> NAMES = List.of("dp", "ls", "branch", "lse", "sys");

    private InstructionGroups() {}

    /** The encodings of {@code group} (empty while the group has none); unknown names are an error. */
    public static List<Encoding> encodings(String group) {
        return switch (group) {
            case "dp" -> concat(DataProcessingImmediate.ENCODINGS, DataProcessingRegister.ENCODINGS);
            case "ls" -> List.of(LoadStore.ENCODINGS);
            case "branch" -> List.of(Branches.ENCODINGS);
            case "lse" -> List.of(Atomics.ENCODINGS);
            case "sys" -> List.of(SystemInstructions.ENCODINGS);
            default -> throw new IllegalArgumentException("unknown instruction group: " + group);
        };
    }

    private static List<Encoding> concat(Encoding[] a, Encoding[] b) {
        Encoding[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return List.of(all);
    }
}
