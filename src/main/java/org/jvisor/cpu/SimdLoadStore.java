package org.jvisor.cpu;

/** SIMD&FP loads and stores: LDR/STR/LDP/STP of B/H/S/D/Q registers in every addressing mode, and the structure loads and stores LD1-LD4, ST1-ST4, LD1R-LD4R. */
final class SimdLoadStore {
    static final Encoding[] ENCODINGS = {};

    private SimdLoadStore() {}

    static void execute(Cpu cpu, int op, int insn) {
        throw cpu.undefined();
    }
}
