package org.jvisor.cpu;

/** Advanced SIMD floating point (vector and the scalar forms of vector instructions). */
final class SimdFloat {
    static final Encoding[] ENCODINGS = {};

    private SimdFloat() {}

    static void execute(Cpu cpu, int op, int insn) {
        throw cpu.undefined();
    }
}
