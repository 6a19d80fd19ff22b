package org.jvisor.cpu;

final class Atomics {
    static final Encoding[] ENCODINGS = {};

    private Atomics() {}

    static void execute(Cpu cpu, int op, int insn) {
        throw cpu.undefined();
    }
}
