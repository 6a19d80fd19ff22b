package org.jvisor.cpu;

/**
 * What translated code calls: the way back into the interpreter's instruction handlers for everything the
 * translator does not emit itself.
 */
final class TranslatedRuntime {
    private TranslatedRuntime() {}

    /**
     * Executes one instruction with the interpreter's handler, with the processor's state exactly as the
     * interpreter has it (the instruction's address, the next one's, the instructions retired), and says
     * whether translated code must return: the instruction took an exception or branched (pc is not the
     * next instruction), or something asked the chunk to end, or the current code page was dropped or the
     * TLB flushed.
     */
    /** Whether an FP/SIMD instruction would trap now ({@link Cpu#checkFpEnabled} without the exception). */
    static boolean fpTrapped(Cpu cpu) {
        int e = cpu.el;
        if (e <= 1) {
            int fpen = (int) (cpu.sr.cpacrEl1 >>> 20) & 3;
            if (fpen != 3 && (e == 0 || (fpen & 1) == 0)) return true;
        }
        return (cpu.sr.cptrEl2 & SysRegTable.CPTR_TFP) != 0;
    }

    static boolean fallback(Cpu cpu, long site, long base, long blockInstret) {
        // site packs what the call site knows (one constant keeps each call a few bytes of bytecode):
        // insn << 32 | op << 16 | index in the page << 6 | index in the block
        int insn = (int) (site >>> 32), op = (int) (site >>> 16) & 0xffff;
        long insnPc = base + (((int) site >>> 4) & 0xffc), instret = blockInstret + ((int) site & 63);
        cpu.insnPc = insnPc;
        long next = insnPc + 4;
        cpu.pc = next;
        cpu.instret = instret;
        try {
            Executor.execute(cpu, op, insn);
        } catch (ExceptionTaken e) {
            // Taken already (the processor is at its vector, the instruction not retired): return through
            // translated code rather than unwind it, which costs an exit tens of nanoseconds.
            cpu.translatedExceptions++;
            return true;
        }
        cpu.instret = instret + 1;
        return cpu.pc != next || cpu.mustLeaveTranslated();
    }

}
