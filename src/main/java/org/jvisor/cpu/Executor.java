package org.jvisor.cpu;

import org.jvisor.cpu.simd.Crypto;
import org.jvisor.cpu.simd.FpScalar;
import org.jvisor.cpu.simd.SimdFloat;
import org.jvisor.cpu.simd.SimdInteger;
import org.jvisor.cpu.simd.SimdLoadStore;
import org.jvisor.cpu.simd.SimdPermute;

/**
 * Dispatches a decoded op to its instruction group. Each group is one class with its encoding table
 * and a switch over its local ops; a static call per group keeps dispatch free of virtual calls (one
 * virtual call per instruction was the slowest design measured on these hosts).
 */
final class Executor {
    static final int G_DP_IMM = 1, G_DP_REG = 2, G_BRANCH = 3, G_LOADSTORE = 4, G_SYSTEM = 5, G_ATOMIC = 6,
            G_FP = 7, G_SIMD_LS = 8, G_SIMD_PERMUTE = 9, G_SIMD_INT = 10, G_SIMD_FP = 11, G_CRYPTO = 12;

    /** Encoding tables by group number (index 0 is unused: op 0 means "not decoded yet"). */
    static final Encoding[][] GROUPS = {
            null,
            DataProcessingImmediate.ENCODINGS,
            DataProcessingRegister.ENCODINGS,
            Branches.ENCODINGS,
            LoadStore.ENCODINGS,
            SystemInstructions.ENCODINGS,
            Atomics.ENCODINGS,
            FpScalar.ENCODINGS,
            SimdLoadStore.ENCODINGS,
            SimdPermute.ENCODINGS,
            SimdInteger.ENCODINGS,
            SimdFloat.ENCODINGS,
            Crypto.ENCODINGS,
    };

    private Executor() {}

    static void execute(Cpu cpu, int op, int insn) {
        int local = op & 0xfff;
        switch (op >>> 12) {
            case G_DP_IMM -> DataProcessingImmediate.execute(cpu, local, insn);
            case G_DP_REG -> DataProcessingRegister.execute(cpu, local, insn);
            case G_BRANCH -> Branches.execute(cpu, local, insn);
            case G_LOADSTORE -> LoadStore.execute(cpu, local, insn);
            case G_SYSTEM -> SystemInstructions.execute(cpu, local, insn);
            case G_ATOMIC -> Atomics.execute(cpu, local, insn);
            case G_FP -> FpScalar.execute(cpu, local, insn);
            case G_SIMD_LS -> SimdLoadStore.execute(cpu, local, insn);
            case G_SIMD_PERMUTE -> SimdPermute.execute(cpu, local, insn);
            case G_SIMD_INT -> SimdInteger.execute(cpu, local, insn);
            case G_SIMD_FP -> SimdFloat.execute(cpu, local, insn);
            case G_CRYPTO -> Crypto.execute(cpu, local, insn);
            default -> throw cpu.undefined();
        }
    }
}
