package org.jvisor.cpu;

/** Scalar floating point: arithmetic, fused multiply-add, square root, min/max, compares, conditional select and compare, conversions between precisions and to/from integers and fixed point, rounding, FMOV. */
final class FpScalar {
    static final Encoding[] ENCODINGS = {};

    private FpScalar() {}

    static void execute(Cpu cpu, int op, int insn) {
        throw cpu.undefined();
    }
}
