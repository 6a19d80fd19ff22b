package org.jvisor.difftest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A batch of sequences laid out as one static AArch64 Linux program: a code segment with the harness
 * around every sequence, and a data segment with one record per sequence (initial state, results,
 * scratch area). QEMU runs the whole program; jvisor loads the same two segments and runs only the
 * sequences, so both execute the same bytes at the same addresses.
 *
 * <p>Harness, per sequence: load SP, NZCV, X0-X30 from the record's input, run the sequence, then
 * {@link #END_MARK}, store X0-X30, SP and NZCV into the record's output (TPIDR_EL0 holds X0 while the base address is built). A
 * SIGILL/SIGTRAP/SIGBUS/SIGSEGV handler (on an alternate stack) copies the registers at the fault from
 * the signal frame into the record, with the signal, PC and fault address, and resumes at the next
 * sequence. At the end the program writes the data segment to stdout and exits.
 *
 * <p>Every sequence, harness included, has a code page of its own (the code before it branches over the
 * rest of the previous page), and so do the signal handler and the prologue: jvisor's translator works by
 * page, within limits per page (entries, translations), so what it makes of a sequence then does not depend
 * on the sequences around it, a mismatch it causes reproduces alone, and with translation forced every
 * page stays within those limits.
 *
 * <p>FP/SIMD batches ({@link #fp}) also load FPCR, FPSR and V0-V31 before the sequence (LDR Q) and store
 * them after it (STR Q); the handler copies them from the signal frame's fpsimd_context record.
 */
final class Layout {
    static final long CODE_BASE = 0x0040_0000L, DATA_BASE = 0x1000_0000L, PAGE = 4096;
    /**
     * The signal handler's stack: a segment of its own, away from anything a sequence's SP can easily reach
     * (an SP inside the alternate stack makes the kernel, and QEMU, push the frame below it instead): not
     * next to the data, and not at a round address that masks and edge values produce (0x30000000 was hit).
     * Below 1 GiB, which jvisor's stage 2 map covers.
     */
    static final long ALTSTACK_BASE = 0x3b7c_3000L;
    /**
     * A read-only page of known bytes with nothing mapped after it: loads that start in it and end past it
     * fault part way (which registers a multi-register load has written by then is seen), stores fault at once.
     */
    static final long PROBE_BASE = 0x2f3f_f000L;
    static final int PROBE_SIZE = 0x1000;

    /** The probe page's contents. */
    static byte[] probeBytes() {
        byte[] b = new byte[PROBE_SIZE];
        for (int i = 0; i < b.length; i++) b[i] = (byte) (i * 37 + 11 + (i >> 8));
        return b;
    }

    /**
     * The first word after every sequence: an instruction Linux lets EL0 run with no effect on the state
     * (it reads the virtual counter into XZR), which jvisor's runners make trap
     * ({@link JvisorMachine#CNTKCTL_EL1_END_MARK_TRAPS}): {@link JvisorRunner} stops there, however the
     * sequence branched; {@link ProgramRunner} knows where each sequence ended and carries on.
     */
    static final int END_MARK = A64.MRS_XZR_CNTVCT;

    // Data segment: globals, then the records.
    static final int CUR = 0, ACT = 0x40, ALTSTACK_T = 0x80, RECORDS = 0x1000;
    static final int ALTSTACK_SIZE = 512 << 10;

    // Record fields (offsets in the record).
    static final int IN_X = 0, IN_SP = 248, IN_NZCV = 256, RECOVER = 264;
    static final int OUT_X = 272, OUT_SP = 520, OUT_NZCV = 528, OUT_SIG = 536, OUT_PC = 544, OUT_FAR = 552;
    static final int OUT_FPCR = 560, OUT_FPSR = 568, OUT_V = 576, IN_FPCR = 1088, IN_FPSR = 1096, IN_V = 1104;
    static final int SCRATCH = 2048, SCRATCH_SIZE = 2048, REC_SIZE = 4096;

    /** Signals the harness catches: SIGILL, SIGTRAP, SIGBUS, SIGSEGV. */
    static final int[] SIGNALS = {4, 5, 7, 11};

    // Linux arm64 ucontext: uc_mcontext at 176; sigcontext: fault_address, regs[31], sp, pc, pstate.
    private static final int UC_REGS = 184, UC_SP = 432, UC_PC = 440, UC_PSTATE = 448;
    /** The fpsimd_context record, first in the mcontext's reserved area: fpsr, fpcr, then vregs[32]. */
    private static final int UC_FPSR = 472, UC_VREGS = 480;

    final List<Sequence> seqs;
    final int[] code;
    final byte[] data;
    final long entry;
    /** Whether the harness sets and saves the FP/SIMD state (the sequences carry an {@link FpState}). */
    final boolean fp;
    final long[] recAddr, seqStart, seqEnd;

    private int[] buf = new int[1024];
    private int n;

    Layout(List<Sequence> seqs) {
        this.seqs = List.copyOf(seqs);
        int count = seqs.size();
        fp = !seqs.isEmpty() && seqs.getFirst().fp() != null;
        for (Sequence s : seqs)
            if ((s.fp() != null) != fp) throw new IllegalArgumentException("FP and non-FP sequences in one batch");
        recAddr = new long[count];
        seqStart = new long[count];
        seqEnd = new long[count];
        for (int i = 0; i < count; i++) recAddr[i] = DATA_BASE + RECORDS + (long) i * REC_SIZE;

        pad(64); // room for PC-relative literal loads before the first sequence
        long handler = here();
        emitHandler();
        long restorer = here();
        emit(A64.movz(8, 139, 0), A64.SVC0); // rt_sigreturn
        alignToPage();
        entry = here();
        emitPrologue();
        long[] entryAddr = new long[count + 1];
        for (int i = 0; i < count; i++) {
            branchToNextPage();
            entryAddr[i] = here();
            emitSequence(i);
        }
        branchToNextPage();
        entryAddr[count] = here();
        emitEpilogue();
        pad(64);
        code = java.util.Arrays.copyOf(buf, n);

        int fileSize = RECORDS + count * REC_SIZE;
        ByteBuffer d = ByteBuffer.allocate(fileSize).order(ByteOrder.LITTLE_ENDIAN);
        d.putLong(ACT, handler);
        d.putLong(ACT + 8, 0x04000000L | 0x08000000L | 4L); // SA_RESTORER | SA_ONSTACK | SA_SIGINFO
        d.putLong(ACT + 16, restorer);
        d.putLong(ACT + 24, 0);
        d.putLong(ALTSTACK_T, ALTSTACK_BASE);
        d.putLong(ALTSTACK_T + 16, ALTSTACK_SIZE);
        for (int i = 0; i < count; i++) {
            Sequence s = seqs.get(i);
            int r = RECORDS + i * REC_SIZE;
            for (int k = 0; k < 31; k++) d.putLong(r + IN_X + 8 * k, s.x()[k]);
            d.putLong(r + IN_SP, scratchAddr(i) + s.spOffset());
            d.putLong(r + IN_NZCV, (long) s.nzcv() << 28);
            d.putLong(r + RECOVER, entryAddr[i + 1]);
            d.put(r + SCRATCH, s.scratch());
            if (fp) {
                d.putLong(r + IN_FPCR, s.fp().fpcr() & 0xffffffffL);
                d.putLong(r + IN_FPSR, s.fp().fpsr() & 0xffffffffL);
                for (int k = 0; k < 64; k++) d.putLong(r + IN_V + 8 * k, s.fp().v()[k]);
            }
        }
        data = d.array();
    }

    long scratchAddr(int i) { return recAddr[i] + SCRATCH; }

    /**
     * A copy of the record at {@code off} in {@code src} with the output fields zeroed: what is compared, so
     * that a store anywhere in the record shows, not only in the scratch area.
     */
    static byte[] maskedRecord(byte[] src, int off) {
        byte[] r = java.util.Arrays.copyOfRange(src, off, off + REC_SIZE);
        java.util.Arrays.fill(r, OUT_X, OUT_V + 512, (byte) 0);
        return r;
    }

    /** The record of sequence {@code i} as it starts, masked as {@link #maskedRecord} does. */
    byte[] initialRecord(int i) { return maskedRecord(data, RECORDS + i * REC_SIZE); }

    /** Bytes the data segment occupies in memory. */
    long dataMemSize() { return data.length; }

    byte[] codeBytes() {
        ByteBuffer b = ByteBuffer.allocate(code.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int w : code) b.putInt(w);
        return b.array();
    }

    private long here() { return CODE_BASE + 4L * n; }

    private void emit(int... words) {
        for (int w : words) {
            if (n == buf.length) buf = java.util.Arrays.copyOf(buf, n * 2);
            buf[n++] = w;
        }
    }

    /** A branch to the next page, over NOPs to its end. */
    private void branchToNextPage() {
        long target = (here() + 4 + PAGE - 1) & -PAGE;
        emit(A64.b(target - here()));
        alignToPage();
    }

    private void alignToPage() {
        while ((here() & (PAGE - 1)) != 0) emit(A64.NOP);
    }

    private void pad(int words) {
        for (int i = 0; i < words; i++) emit(A64.NOP);
    }

    private void emitPrologue() {
        emit(A64.mov32(0, DATA_BASE + ALTSTACK_T));
        emit(A64.movz(1, 0, 0), A64.movz(8, 132, 0), A64.SVC0); // sigaltstack(&ss, NULL)
        for (int sig : SIGNALS) {
            emit(A64.movz(0, sig, 0));
            emit(A64.mov32(1, DATA_BASE + ACT));
            emit(A64.movz(2, 0, 0), A64.movz(3, 8, 0), A64.movz(8, 134, 0), A64.SVC0); // rt_sigaction
        }
    }

    private void emitSequence(int i) {
        long rec = recAddr[i];
        emit(A64.mov32(0, rec));
        emit(A64.mov32(1, DATA_BASE + CUR));
        emit(A64.str(0, 1, 0));
        emit(A64.ldr(1, 0, IN_SP), A64.addImm(A64.SP, 1, 0));
        emit(A64.ldr(1, 0, IN_NZCV), A64.msrNzcv(1));
        emit(A64.msrTpidrEl0(A64.XZR), A64.CLREX);
        if (fp) {
            emit(A64.ldr(1, 0, IN_FPCR), A64.msrFpcr(1), A64.ldr(1, 0, IN_FPSR), A64.msrFpsr(1));
            for (int k = 0; k < 32; k++) emit(A64.ldrQ(k, 0, IN_V + 16 * k));
        }
        for (int k = 1; k <= 14; k++) emit(A64.ldp(2 * k, 2 * k + 1, 0, IN_X + 16 * k));
        emit(A64.ldr(30, 0, IN_X + 240));
        emit(A64.ldp(0, 1, 0, IN_X));

        seqStart[i] = here();
        Sequence s = seqs.get(i);
        List<Unit> units = s.units();
        long[] unitAddr = new long[units.size() + 1];
        long a = seqStart[i];
        for (int u = 0; u < units.size(); u++) {
            unitAddr[u] = a;
            a += 4L * units.get(u).insns().size();
        }
        unitAddr[units.size()] = a;
        for (Unit u : units) for (Insn in : u.insns()) emit(in.resolve(here(), unitAddr, scratchAddr(i)));
        seqEnd[i] = here();

        emit(END_MARK);
        emit(A64.msrTpidrEl0(0));
        emit(A64.mov32(0, rec));
        for (int k = 1; k <= 15; k++) emit(A64.stp(2 * k - 1, 2 * k, 0, OUT_X + 8 * (2 * k - 1)));
        emit(A64.mrsTpidrEl0(1), A64.str(1, 0, OUT_X));
        emit(A64.addImm(1, A64.SP, 0), A64.str(1, 0, OUT_SP));
        emit(A64.mrsNzcv(1), A64.str(1, 0, OUT_NZCV));
        if (fp) {
            for (int k = 0; k < 32; k++) emit(A64.strQ(k, 0, OUT_V + 16 * k));
            emit(A64.mrsFpcr(1), A64.str(1, 0, OUT_FPCR), A64.mrsFpsr(1), A64.str(1, 0, OUT_FPSR));
        }
    }

    private void emitEpilogue() {
        emit(A64.movz(0, 1, 0));
        emit(A64.mov32(1, DATA_BASE));
        emit(A64.mov32(2, RECORDS + (long) seqs.size() * REC_SIZE));
        emit(A64.movz(8, 64, 0), A64.SVC0); // write(1, data, size)
        emit(A64.movz(0, 0, 0), A64.movz(8, 93, 0), A64.SVC0); // exit(0)
    }

    /** x0 = signal, x1 = siginfo, x2 = ucontext; x30 = the restorer. */
    private void emitHandler() {
        emit(A64.mov32(3, DATA_BASE + CUR));
        emit(A64.ldr(3, 3, 0));
        emit(A64.addImm(4, 2, UC_REGS));
        for (int k = 0; k < 15; k++) emit(A64.ldp(5, 6, 4, 16 * k), A64.stp(5, 6, 3, OUT_X + 16 * k));
        emit(A64.ldr(5, 4, 240), A64.str(5, 3, OUT_X + 240));
        emit(A64.ldr(5, 2, UC_SP), A64.str(5, 3, OUT_SP));
        emit(A64.ldr(5, 2, UC_PSTATE), A64.str(5, 3, OUT_NZCV));
        emit(A64.str(0, 3, OUT_SIG));
        emit(A64.ldr(5, 2, UC_PC), A64.str(5, 3, OUT_PC));
        emit(A64.ldr(5, 1, 16), A64.str(5, 3, OUT_FAR));
        if (fp) {
            emit(A64.ldrW(5, 2, UC_FPSR), A64.str(5, 3, OUT_FPSR), A64.ldrW(5, 2, UC_FPSR + 4), A64.str(5, 3, OUT_FPCR));
            emit(A64.addImm(4, 2, UC_VREGS), A64.addImm(7, 3, OUT_V));
            for (int k = 0; k < 32; k++) emit(A64.ldp(5, 6, 4, 16 * k), A64.stp(5, 6, 7, 16 * k));
        }
        emit(A64.ldr(5, 3, RECOVER), A64.str(5, 2, UC_PC));
        emit(A64.RET);
    }
}
