package org.jvisor.cli.difftest;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.ExitReason;
import org.jvisor.cpu.Translation;

/**
 * Runs a laid-out batch in jvisor sequence by sequence: the harness's work is done in Java (the initial
 * state is set directly, the registers read back when the sequence reaches its end), and a trap is
 * turned into the signal Linux would deliver for it. {@link ProgramRunner} runs the whole program instead;
 * the two must agree (a test checks it), and this one keeps a harness problem from hiding a sequence.
 *
 * <p>Each sequence runs in one {@link Cpu#run}, not an instruction at a time, so that it runs as a guest's
 * code does (through the translator when the processor translates): the word after the sequence,
 * {@link Layout#END_MARK}, reads the virtual counter, which traps here because CNTKCTL_EL1.EL0VCTEN is
 * clear (EL0PCTEN is set instead, so that CNTFRQ_EL0 stays readable; the generator makes no counter reads).
 */
final class JvisorRunner {
    private JvisorRunner() {}

    /** CNTKCTL_EL1 here: EL0 may read CNTFRQ_EL0 and CNTPCT_EL0 but not CNTVCT_EL0, which {@link Layout#END_MARK} reads. */
    static final long CNTKCTL_EL1 = 1L;

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
        cpu.sr.cntkctlEl1 = CNTKCTL_EL1;
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
        // Branches only go forward, so a sequence retires at most one instruction per word.
        ExitReason r = cpu.run((end - start) / 4 + 1);
        int signal = 0;
        long faultPc = 0, faultAddr = 0;
        String note = null;
        int nzcv = cpu.nzcv();
        if (r == ExitReason.EL2_TRAP) {
            long esr = cpu.sr.esr[2], at = cpu.sr.elr[2];
            nzcv = (int) (cpu.sr.spsr[2] >>> 28) & 0xf;
            boolean endMark = (esr >>> 26) == Cpu.EC_SYSREG && at >= Layout.CODE_BASE
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
        long[] x = java.util.Arrays.copyOf(cpu.x, 31);
        long sp = cpu.getSpEl(0);
        byte[] rec = new byte[Layout.REC_SIZE];
        MemorySegment.copy(m.data(), ValueLayout.JAVA_BYTE, Layout.RECORDS + (long) i * Layout.REC_SIZE, rec, 0, rec.length);
        FpState fp = s.fp() == null ? null : new FpState(cpu.vreg.clone(), cpu.fpcr, cpu.fpsr);
        return new Outcome(x, sp, nzcv, Math.max(signal, 0), faultPc, faultAddr, Layout.maskedRecord(rec, 0), note, fp);
    }
}
