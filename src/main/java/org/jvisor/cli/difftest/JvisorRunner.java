package org.jvisor.cli.difftest;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.ExitReason;

/**
 * Runs a laid-out batch in jvisor sequence by sequence: the harness's work is done in Java (the initial
 * state is set directly, the registers read back after the last word of the sequence), and a trap is
 * turned into the signal Linux would deliver for it. {@link ProgramRunner} runs the whole program instead;
 * the two must agree (a test checks it), and this one keeps a harness problem from hiding a sequence.
 */
final class JvisorRunner {
    private JvisorRunner() {}

    static List<Outcome> run(Layout layout, Profile profile) {
        try (JvisorMachine m = new JvisorMachine(layout, profile)) {
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
        cpu.pc = layout.seqStart[i];
        long end = layout.seqEnd[i];
        // Branches only go forward, so a sequence retires at most one instruction per word.
        long budget = (end - layout.seqStart[i]) / 4 + 1;
        int signal = 0;
        long faultPc = 0, faultAddr = 0;
        String note = null;
        for (long step = 0; cpu.pc != end; step++) {
            // Outside the sequence only a fault is expected (QEMU gets SIGSEGV fetching from data or nowhere).
            boolean outside = cpu.pc < layout.seqStart[i] || cpu.pc > end;
            if (step > budget) {
                note = "jvisor ran past the end of the sequence: pc=0x" + Long.toHexString(cpu.pc);
                break;
            }
            ExitReason r = cpu.run(1);
            if (r == ExitReason.EL2_TRAP) {
                long esr = cpu.sr.esr[2];
                signal = JvisorMachine.linuxSignal(esr);
                faultPc = cpu.sr.elr[2];
                faultAddr = cpu.sr.far[2];
                if (signal == Outcome.SIGILL || signal == Outcome.SIGTRAP) faultAddr = faultPc;
                if (signal < 0) note = "unexpected exception to EL2: ESR_EL2=0x" + Long.toHexString(esr);
                break;
            }
            if (r != ExitReason.BUDGET) {
                note = "jvisor stopped: " + r;
                break;
            }
            if (outside) {
                note = "jvisor executed an instruction outside the sequence at pc=0x" + Long.toHexString(cpu.insnPc);
                break;
            }
        }
        long[] x = java.util.Arrays.copyOf(cpu.x, 31);
        long sp = cpu.getSpEl(0);
        int nzcv = signal != 0 ? (int) (cpu.sr.spsr[2] >>> 28) & 0xf : cpu.nzcv();
        byte[] rec = new byte[Layout.REC_SIZE];
        MemorySegment.copy(m.data(), ValueLayout.JAVA_BYTE, Layout.RECORDS + (long) i * Layout.REC_SIZE, rec, 0, rec.length);
        FpState fp = s.fp() == null ? null : new FpState(cpu.vreg.clone(), cpu.fpcr, cpu.fpsr);
        return new Outcome(x, sp, nzcv, Math.max(signal, 0), faultPc, faultAddr, Layout.maskedRecord(rec, 0), note, fp);
    }
}
