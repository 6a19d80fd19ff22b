package org.jvisor.cpu;

import java.lang.foreign.MemorySegment;

/**
 * What translated code calls: small methods the JIT inlines (the soft TLB's fast path) and the way back
 * into the interpreter's instruction handlers for everything the translator does not emit itself.
 */
final class TranslatedRuntime {
    private TranslatedRuntime() {}

    /**
     * Executes one instruction with the interpreter's handler, with the processor's state exactly as the
     * interpreter has it (the instruction's address, the next one's, the instructions retired), and says
     * whether translated code must return: the instruction branched (pc is not the next instruction), or
     * something asked the chunk to end, or the current code page was dropped or the TLB flushed.
     */
    static boolean fallback(Cpu cpu, int op, int insn, long insnPc, long instret) {
        cpu.insnPc = insnPc;
        long next = insnPc + 4;
        cpu.pc = next;
        cpu.instret = instret;
        Executor.execute(cpu, op, insn);
        cpu.instret = instret + 1;
        return cpu.pc != next || cpu.mustLeaveTranslated();
    }

    static boolean breakRequested(Cpu cpu) { return cpu.breakRequested(); }

    /**
     * The host address of a {@code mask}-aligned read at {@code va} if the soft TLB holds a read permission
     * for its page, else 0 ({@code mask} is {@code ~0xfff | (size - 1)}: a misaligned address never hits).
     */
    static long readHost(Cpu cpu, long va, long mask) {
        int i = SoftTlb.index(cpu.mmuIdx, va);
        SoftTlb t = cpu.tlb;
        return t.readTag[i] == (va & mask) ? va + t.addend[i] : 0;
    }

    static long writeHost(Cpu cpu, long va, long mask) {
        int i = SoftTlb.index(cpu.mmuIdx, va);
        SoftTlb t = cpu.tlb;
        return t.writeTag[i] == (va & mask) ? va + t.addend[i] : 0;
    }

    /** As {@link #readHost} for a pair of {@code size}-byte accesses, both in the page. */
    static long readPairHost(Cpu cpu, long va, long mask, int size) {
        if ((va & 0xfff) > 0x1000 - 2 * size) return 0;
        return readHost(cpu, va, mask);
    }

    static long writePairHost(Cpu cpu, long va, long mask, int size) {
        if ((va & 0xfff) > 0x1000 - 2 * size) return 0;
        return writeHost(cpu, va, mask);
    }

    static final MemorySegment HOST = SoftTlb.HOST;
}
