package org.jvisor.difftest;

/**
 * The state a sequence ended in on one side: registers, SP, NZCV, its record in the data segment
 * ({@link Layout#maskedRecord}: the input, the scratch area; not the output the harness writes) and, when it
 * faulted, the signal Linux would deliver (0 if none) with the faulting PC and address. {@code note}
 * explains an end that is neither (jvisor ran away, stopped for another reason). {@code fp}: V0-V31, FPCR
 * and FPSR at the end, for FP/SIMD sequences (null for the others).
 */
record Outcome(long[] x, long sp, int nzcv, int signal, long faultPc, long faultAddr, byte[] memory, String note, FpState fp) {
    Outcome(long[] x, long sp, int nzcv, int signal, long faultPc, long faultAddr, byte[] memory, String note) {
        this(x, sp, nzcv, signal, faultPc, faultAddr, memory, note, null);
    }

    static final int SIGILL = 4, SIGTRAP = 5, SIGBUS = 7, SIGSEGV = 11;

    static String signalName(int s) {
        return switch (s) {
            case 0 -> "none";
            case SIGILL -> "SIGILL";
            case SIGTRAP -> "SIGTRAP";
            case SIGBUS -> "SIGBUS";
            case SIGSEGV -> "SIGSEGV";
            default -> "signal " + s;
        };
    }

    /** Whether the fault address is part of what Linux reports for this signal (data faults). */
    boolean faultAddrMeaningful() { return signal == SIGBUS || signal == SIGSEGV; }
}
