package org.jvisor.cpu;

/** Advanced SIMD data movement and bitwise operations: permutes, table lookups, DUP/INS/UMOV/SMOV, REV, modified immediates, bitwise logic, CNT/CLZ/CLS/RBIT. */
final class SimdPermute {
    static final Encoding[] ENCODINGS = {};

    private SimdPermute() {}

    static void execute(Cpu cpu, int op, int insn) {
        throw cpu.undefined();
    }
}
