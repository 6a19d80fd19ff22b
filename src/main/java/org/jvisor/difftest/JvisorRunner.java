package org.jvisor.difftest;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.ExitReason;
import org.jvisor.cpu.Translation;

/**
 * Runs a laid-out batch in jvisor sequence by sequence: the harness's work is done in Java (the initial
 * state is set directly, the registers read back when the sequence reaches its end), and a trap is
 * turned into the signal Linux would deliver for it. {@link ProgramRunner} runs the whole program instead;
 * the two must agree (a test checks it), and this one keeps a harness problem from hiding a sequence.
 *
 * <p>Each sequence runs in one {@link Cpu#run}, not an instruction at a time, so that it runs as a guest's
 * code does (through the translator when the processor translates) and stops at the word after it,
 * {@link Layout#END_MARK}, which traps. With translation forced, every instruction it retires must have
 * run translated.
 */
final class JvisorRunner {
    private JvisorRunner() {}

    /** Instructions a sequence may retire before it is stopped as a run-away. */
    static final long RUN_AWAY = 1 << 20;

    /** {@code translation}: how the processor runs the sequences. */
    static List<Outcome> run(Layout layout, Profile profile, Translation translation) {
        try (JvisorMachine m = new JvisorMachine(layout, profile, translation)) {
            List<Outcome> out = new ArrayList<>();
            for (int i = 0; i < layout.seqs.size(); i++) out.add(runOne(m, i));
            return out;
        }
    }

    private static Outcome runOne(JvisorMachine m, int i) {
        Cpu cpu = m.cpu;
        Layout layout = m.layout;
        Sequence s = layout.seqs.get(i);
        m.enterEl0();
        cpu.sr.tpidrEl0 = 0;
        System.arraycopy(s.x(), 0, cpu.x, 0, 31);
        cpu.sp = layout.scratchAddr(i) + s.spOffset();
        cpu.setNzcv(s.nzcv());
        if (s.fp() != null) {
            System.arraycopy(s.fp().v(), 0, cpu.vreg, 0, 64);
            cpu.fpcr = s.fp().fpcr();
            cpu.fpsr = s.fp().fpsr();
        }
        cpu.clearExclusiveMonitor();
        long start = layout.seqStart[i], end = layout.seqEnd[i];
        cpu.pc = start;
        long instret = cpu.instret, translated = cpu.translatedInstructions();
        // The end mark stops the sequence: the budget only bounds a run-away, and is large enough that a
        // translated block (which runs only if it fits in what is left of the budget) is not refused.
        ExitReason r = cpu.run(RUN_AWAY);
        int signal = 0;
        long faultPc = 0, faultAddr = 0;
        String note = null;
        int nzcv = cpu.nzcv();
        if (r == ExitReason.EL2_TRAP) {
            long esr = cpu.sr.esr[2], at = cpu.sr.elr[2];
            nzcv = (int) (cpu.sr.spsr[2] >>> 28) & 0xf;
            boolean endMark = Esr.ec(esr) == Esr.EC_SYS64 && at >= Layout.CODE_BASE
                    && at < Layout.CODE_BASE + 4L * layout.code.length
                    && layout.code[(int) ((at - Layout.CODE_BASE) / 4)] == Layout.END_MARK;
            if (endMark && at != end) {
                note = "jvisor left the sequence: it ran to the end of another, at pc=0x" + Long.toHexString(at);
            } else if (!endMark) {
                signal = JvisorMachine.linuxSignal(esr);
                faultPc = at;
                faultAddr = cpu.sr.far[2];
                if (signal == Outcome.SIGILL || signal == Outcome.SIGTRAP) faultAddr = faultPc;
                if (signal < 0) note = "unexpected exception to EL2: ESR_EL2=0x" + Long.toHexString(esr);
            }
        } else if (r == ExitReason.BUDGET) {
            note = "jvisor ran past the end of the sequence: pc=0x" + Long.toHexString(cpu.pc);
        } else {
            note = "jvisor stopped: " + r;
        }
        long retired = cpu.instret - instret, interpreted = retired - (cpu.translatedInstructions() - translated);
        // Branches only go forward, so a sequence retires at most one instruction per word.
        if (note == null && retired > (end - start) / 4)
            note = "jvisor retired " + retired + " instructions in a sequence of " + (end - start) / 4 + " words";
        if (note == null && cpu.translation() == Translation.FORCE && interpreted != 0)
            note = "translation is forced, but " + interpreted + " of the " + retired + " instructions retired were interpreted";
        long[] x = java.util.Arrays.copyOf(cpu.x, 31);
        long sp = cpu.getSpEl(0);
        byte[] rec = new byte[Layout.REC_SIZE];
        MemorySegment.copy(m.data(), ValueLayout.JAVA_BYTE, Layout.RECORDS + (long) i * Layout.REC_SIZE, rec, 0, rec.length);
        FpState fp = s.fp() == null ? null : new FpState(cpu.vreg.clone(), cpu.fpcr, cpu.fpsr);
        return new Outcome(x, sp, nzcv, Math.max(signal, 0), faultPc, faultAddr, Layout.maskedRecord(rec, 0), note, fp);
    }
}
