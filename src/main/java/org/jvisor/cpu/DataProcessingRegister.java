package org.jvisor.cpu;

final class DataProcessingRegister {
    static final Encoding[] ENCODINGS = {};

    private DataProcessingRegister() {}

    static void execute(Cpu cpu, int op, int insn) {
        throw cpu.undefined();
    }
}
