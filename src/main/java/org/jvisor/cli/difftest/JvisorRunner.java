package org.jvisor.cli.difftest;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.ExitReason;
import org.jvisor.cpu.Mmu;
import org.jvisor.cpu.PhysicalBus;
import org.jvisor.cpu.Ram;
import org.jvisor.cpu.SystemRegisters;

/**
 * Runs a laid-out batch in jvisor: the program's two segments go into RAM at their addresses, and each
 * sequence runs at EL0 under HCR_EL2.TGE (stage 1 off, every exception from EL0 ends {@link Cpu#run}
 * as an EL2 trap). The harness's job is done in Java: the initial state is set directly, and a trap is
 * turned into the signal Linux would deliver for it.
 */
final class JvisorRunner {
    /** SCTLR_EL1 as Linux runs user space: EL0 may use DC ZVA, CTR_EL0, cache maintenance, WFI/WFE. */
    static final long SCTLR_EL1_LINUX = 0x30D00800L | SystemRegisters.SCTLR_DZE | SystemRegisters.SCTLR_UCT
            | SystemRegisters.SCTLR_UCI | SystemRegisters.SCTLR_NTWI | SystemRegisters.SCTLR_NTWE;

    private JvisorRunner() {}

    static List<Outcome> run(Layout layout, Profile profile) {
        PhysicalBus bus = new PhysicalBus();
        byte[] code = layout.codeBytes();
        Ram codeRam = Ram.allocate(ElfWriter.roundUp(code.length));
        Ram dataRam = Ram.allocate(ElfWriter.roundUp(layout.dataMemSize()));
        try {
            bus.addRam(Layout.CODE_BASE, codeRam);
            bus.addRam(Layout.DATA_BASE, dataRam);
            MemorySegment.copy(code, 0, codeRam.segment(), ValueLayout.JAVA_BYTE, 0, code.length);
            MemorySegment.copy(layout.data, 0, dataRam.segment(), ValueLayout.JAVA_BYTE, 0, layout.data.length);
            Cpu cpu = new Cpu(bus, profile.features());
            List<Outcome> out = new ArrayList<>();
            for (int i = 0; i < layout.seqs.size(); i++) out.add(runOne(cpu, layout, i, dataRam.segment()));
            return out;
        } finally {
            codeRam.release();
            dataRam.release();
        }
    }

    private static Outcome runOne(Cpu cpu, Layout layout, int i, MemorySegment data) {
        Sequence s = layout.seqs.get(i);
        cpu.sr.hcrEl2 = SystemRegisters.HCR_TGE;
        cpu.sr.sctlr[1] = SCTLR_EL1_LINUX;
        cpu.sr.tpidrEl0 = 0;
        cpu.setElAndSpSel(0, 0);
        cpu.daif = 0;
        System.arraycopy(s.x(), 0, cpu.x, 0, 31);
        cpu.sp = layout.scratchAddr(i) + s.spOffset();
        cpu.setNzcv(s.nzcv());
        cpu.clearExclusiveMonitor();
        cpu.pc = layout.seqStart[i];
        long end = layout.seqEnd[i];
        // Branches only go forward, so a sequence retires at most one instruction per word.
        long budget = (end - layout.seqStart[i]) / 4 + 1;
        int signal = 0;
        long faultPc = 0, faultAddr = 0;
        String note = null;
        for (long step = 0; cpu.pc != end; step++) {
            if (step > budget || cpu.pc < layout.seqStart[i] || cpu.pc > end) {
                note = "jvisor left the sequence: pc=0x" + Long.toHexString(cpu.pc);
                break;
            }
            ExitReason r = cpu.run(1);
            if (r == ExitReason.EL2_TRAP) {
                long esr = cpu.sr.esr[2];
                signal = linuxSignal(esr);
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
        }
        long[] x = java.util.Arrays.copyOf(cpu.x, 31);
        long sp = cpu.getSpEl(0);
        int nzcv = signal != 0 ? (int) (cpu.sr.spsr[2] >>> 28) & 0xf : cpu.nzcv();
        byte[] scratch = new byte[Layout.SCRATCH_SIZE];
        long off = Layout.RECORDS + (long) i * Layout.REC_SIZE + Layout.SCRATCH;
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, off, scratch, 0, scratch.length);
        if (cpu.currentEl() != 0) cpu.setElAndSpSel(0, 0);
        return new Outcome(x, sp, nzcv, Math.max(signal, 0), faultPc, faultAddr, scratch, note);
    }

    /** The signal Linux delivers for an exception from EL0 with this syndrome; -1 for one it would not turn into a signal. */
    static int linuxSignal(long esr) {
        int ec = (int) (esr >>> 26) & 0x3f;
        int fsc = (int) esr & 0x3f;
        return switch (ec) {
            case Cpu.EC_UNKNOWN, Cpu.EC_SYSREG, Cpu.EC_ILLEGAL, Cpu.EC_FP, Cpu.EC_HVC, Cpu.EC_SMC -> Outcome.SIGILL;
            case Cpu.EC_BRK, Cpu.EC_BREAKPT_LOW, Cpu.EC_STEP_LOW, Cpu.EC_WATCHPT_LOW -> Outcome.SIGTRAP;
            case Cpu.EC_PC_ALIGN, Cpu.EC_SP_ALIGN -> Outcome.SIGBUS;
            case Cpu.EC_DABT_LOW, Cpu.EC_DABT_CUR -> fsc == Mmu.FSC_ALIGNMENT ? Outcome.SIGBUS : Outcome.SIGSEGV;
            case Cpu.EC_IABT_LOW, Cpu.EC_IABT_CUR -> Outcome.SIGSEGV;
            default -> -1;
        };
    }
}
