package org.jvisor.cpu;

/** Advanced SIMD integer arithmetic, shifts, compares, reductions, and their scalar forms. */
final class SimdInteger {
    static final Encoding[] ENCODINGS = {};

    private SimdInteger() {}

    static void execute(Cpu cpu, int op, int insn) {
        throw cpu.undefined();
    }
}
