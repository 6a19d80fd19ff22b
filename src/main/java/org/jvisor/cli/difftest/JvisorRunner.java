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
 *
 * <p>With stage 1 off, data accesses would be to Device memory, where unaligned accesses and DC ZVA
 * fault; Linux user space sees Normal memory. So HCR_EL2.DC is set too: EL1&0 stage 1 then gives Normal
 * write-back memory and stage 2 is on, with an identity map that gives the segments the permissions of
 * the ELF program headers (code read-only and executable, data read-write and execute-never), as QEMU
 * maps them.
 */
final class JvisorRunner {
    /** SCTLR_EL1 as Linux runs user space: EL0 may use DC ZVA, CTR_EL0, cache maintenance, WFI/WFE. */
    static final long SCTLR_EL1_LINUX = 0x30D00800L | SystemRegisters.SCTLR_DZE | SystemRegisters.SCTLR_UCT
            | SystemRegisters.SCTLR_UCI | SystemRegisters.SCTLR_NTWI | SystemRegisters.SCTLR_NTWE;

    /** CNTKCTL_EL1 as Linux sets it: EL0 may read the virtual counter and CNTFRQ_EL0, nothing else of the timers. */
    static final long CNTKCTL_EL1_LINUX = 1L << 1;

    /** Stage 2 tables: outside both segments and outside the stage 2 map, so the guest cannot reach them. */
    static final long S2_TABLES = 0x2000_0000L;
    private static final long HCR = SystemRegisters.HCR_TGE | SystemRegisters.HCR_DC | SystemRegisters.HCR_RW;
    /** VTCR_EL2: 32-bit IPA space (T0SZ 32), walk from level 1 (SL0 1), 4K granule, write-back tables, 32-bit PA. */
    private static final long VTCR = 32 | 1 << 6 | 1 << 8 | 1 << 10 | 3 << 12;

    private JvisorRunner() {}

    static List<Outcome> run(Layout layout, Profile profile) {
        PhysicalBus bus = new PhysicalBus();
        byte[] code = layout.codeBytes();
        Ram codeRam = Ram.allocate(ElfWriter.roundUp(code.length));
        Ram dataRam = Ram.allocate(ElfWriter.roundUp(layout.dataMemSize()));
        Ram tables = Ram.allocate(0x2000);
        try {
            bus.addRam(Layout.CODE_BASE, codeRam);
            bus.addRam(Layout.DATA_BASE, dataRam);
            bus.addRam(S2_TABLES, tables);
            MemorySegment.copy(code, 0, codeRam.segment(), ValueLayout.JAVA_BYTE, 0, code.length);
            MemorySegment.copy(layout.data, 0, dataRam.segment(), ValueLayout.JAVA_BYTE, 0, layout.data.length);
            writeStage2Tables(tables.segment(), codeRam.size(), dataRam.size());
            Cpu cpu = new Cpu(bus, profile.features());
            cpu.sr.vttbrEl2 = S2_TABLES;
            cpu.sr.vtcrEl2 = VTCR;
            List<Outcome> out = new ArrayList<>();
            for (int i = 0; i < layout.seqs.size(); i++) out.add(runOne(cpu, layout, i, dataRam.segment()));
            return out;
        } finally {
            codeRam.release();
            dataRam.release();
            tables.release();
        }
    }

    /** Level 1 table with one entry (the first GiB) pointing to a level 2 table of 2 MiB blocks. */
    private static void writeStage2Tables(MemorySegment t, long codeSize, long dataSize) {
        ValueLayout.OfLong d = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        t.set(d, 0, (S2_TABLES + 0x1000) | 3);
        // Block: AF, inner shareable, MemAttr Normal write-back (0b1111); S2AP 01 read-only, 11 read-write.
        long normal = 1L << 10 | 3L << 8 | 0xfL << 2 | 1;
        for (long a = Layout.CODE_BASE; a < Layout.CODE_BASE + codeSize; a += 1 << 21)
            t.set(d, 0x1000 + 8 * (a >>> 21), (a & ~0x1fffffL) | normal | 1L << 6);
        for (long a = Layout.DATA_BASE; a < Layout.DATA_BASE + dataSize; a += 1 << 21)
            t.set(d, 0x1000 + 8 * (a >>> 21), (a & ~0x1fffffL) | normal | 3L << 6 | 1L << 54);
    }

    private static Outcome runOne(Cpu cpu, Layout layout, int i, MemorySegment data) {
        Sequence s = layout.seqs.get(i);
        cpu.sr.hcrEl2 = HCR;
        cpu.sr.sctlr[1] = SCTLR_EL1_LINUX;
        cpu.sr.tpidrEl0 = 0;
        cpu.sr.cntkctlEl1 = CNTKCTL_EL1_LINUX;
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
            // Outside the sequence only a fault is expected (QEMU gets SIGSEGV fetching from data or nowhere).
            boolean outside = cpu.pc < layout.seqStart[i] || cpu.pc > end;
            if (step > budget) {
                note = "jvisor ran past the end of the sequence: pc=0x" + Long.toHexString(cpu.pc);
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
            if (outside) {
                note = "jvisor executed an instruction outside the sequence at pc=0x" + Long.toHexString(cpu.insnPc);
                break;
            }
        }
        long[] x = java.util.Arrays.copyOf(cpu.x, 31);
        long sp = cpu.getSpEl(0);
        int nzcv = signal != 0 ? (int) (cpu.sr.spsr[2] >>> 28) & 0xf : cpu.nzcv();
        byte[] rec = new byte[Layout.REC_SIZE];
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, Layout.RECORDS + (long) i * Layout.REC_SIZE, rec, 0, rec.length);
        if (cpu.currentEl() != 0) cpu.setElAndSpSel(0, 0);
        return new Outcome(x, sp, nzcv, Math.max(signal, 0), faultPc, faultAddr, Layout.maskedRecord(rec, 0), note);
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
