package org.jvisor.cpu;

/** The cryptographic extensions (AES, SHA1, SHA2) and PMULL; decoded only when advertised in ID_AA64ISAR0_EL1. */
final class Crypto {
    static final Encoding[] ENCODINGS = {};

    private Crypto() {}

    static void execute(Cpu cpu, int op, int insn) {
        throw cpu.undefined();
    }
}
