package org.jvisor.cpu;

import java.util.ArrayList;
import java.util.List;
import org.jvisor.cpu.simd.Crypto;
import org.jvisor.cpu.simd.FpScalar;
import org.jvisor.cpu.simd.SimdFloat;
import org.jvisor.cpu.simd.SimdInteger;
import org.jvisor.cpu.simd.SimdLoadStore;
import org.jvisor.cpu.simd.SimdPermute;

/**
 * The encoding tables by instruction group, by the short names the tools use ({@code dp}, {@code ls},
 * {@code branch}, {@code lse}, {@code sys}; {@code fp} scalar floating point; {@code simd} all of Advanced
 * SIMD, or its parts {@code simdls} loads/stores, {@code simdperm} permutes, {@code simdint} integer,
 * {@code simdfp} floating point, {@code crypto}), for generators and documentation outside this package.
 */
public final class InstructionGroups {
    /** Every group name, in a stable order. */
    public static final List<String> NAMES = List.of("dp", "ls", "branch", "lse", "sys", "fp", "simd", "simdls",
            "simdperm", "simdint", "simdfp", "crypto");

    /** The groups whose instructions use the FP/SIMD registers (their tests set and compare V0-V31, FPCR, FPSR). */
    public static final List<String> FP_GROUPS = List.of("fp", "simd", "simdls", "simdperm", "simdint", "simdfp", "crypto");

    private InstructionGroups() {}

    /** The encodings of {@code group} (empty while the group has none); unknown names are an error. */
    public static List<Encoding> encodings(String group) {
        return switch (group) {
            case "dp" -> concat(DataProcessingImmediate.ENCODINGS, DataProcessingRegister.ENCODINGS);
            case "ls" -> List.of(LoadStore.ENCODINGS);
            case "branch" -> List.of(Branches.ENCODINGS);
            case "lse" -> List.of(Atomics.ENCODINGS);
            case "sys" -> List.of(SystemInstructions.ENCODINGS);
            case "fp" -> List.of(FpScalar.ENCODINGS);
            case "simd" -> concat(SimdLoadStore.ENCODINGS, SimdPermute.ENCODINGS, SimdInteger.ENCODINGS,
                    SimdFloat.ENCODINGS, Crypto.ENCODINGS);
            case "simdls" -> List.of(SimdLoadStore.ENCODINGS);
            case "simdperm" -> List.of(SimdPermute.ENCODINGS);
            case "simdint" -> List.of(SimdInteger.ENCODINGS);
            case "simdfp" -> List.of(SimdFloat.ENCODINGS);
            case "crypto" -> List.of(Crypto.ENCODINGS);
            default -> throw new IllegalArgumentException("unknown instruction group: " + group);
        };
    }

    private static List<Encoding> concat(Encoding[]... tables) {
        List<Encoding> all = new ArrayList<>();
        for (Encoding[] t : tables) all.addAll(List.of(t));
        return List.copyOf(all);
    }
}
