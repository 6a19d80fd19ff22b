package org.jvisor.cpu;

final class LoadStore {
    static final Encoding[] ENCODINGS = {};

    private LoadStore() {}

    static void execute(Cpu cpu, int op, int insn) {
        throw cpu.undefined();
    }
}
