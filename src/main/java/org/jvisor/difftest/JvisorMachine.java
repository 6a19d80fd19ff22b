package org.jvisor.difftest;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.Mmu;
import org.jvisor.cpu.PhysicalBus;
import org.jvisor.cpu.Ram;
import org.jvisor.cpu.SystemRegisters;
import org.jvisor.cpu.Translation;

/**
 * A jvisor processor holding a laid-out program: its segments in RAM at their addresses, EL0 run under
 * HCR_EL2.TGE so every exception from EL0 (SVC included) ends {@link Cpu#run} as an EL2 trap for the host,
 * here the tester, to handle as Linux would.
 *
 * <p>With stage 1 off, data accesses would be to Device memory, where unaligned accesses and DC ZVA
 * fault; Linux user space sees Normal memory. So HCR_EL2.DC is set too: EL1&0 stage 1 then gives Normal
 * write-back memory and stage 2 is on, with an identity map that gives the segments the permissions of
 * the ELF program headers (code read-only and executable, data and signal stack read-write and
 * execute-never), as QEMU maps them.
 */
final class JvisorMachine implements AutoCloseable {
    /** SCTLR_EL1 as Linux runs user space: EL0 may use DC ZVA, CTR_EL0, cache maintenance, WFI/WFE. */
    static final long SCTLR_EL1_LINUX = 0x30D00800L | SystemRegisters.SCTLR_DZE | SystemRegisters.SCTLR_UCT
            | SystemRegisters.SCTLR_UCI | SystemRegisters.SCTLR_NTWI | SystemRegisters.SCTLR_NTWE;
    /** CNTKCTL_EL1 as Linux sets it: EL0 may read the virtual counter and CNTFRQ_EL0, nothing else of the timers. */
    static final long CNTKCTL_EL1_LINUX = 1L << 1;
    /**
     * CNTKCTL_EL1 for the generated program: as Linux's but with the physical counter readable instead of
     * the virtual one, so that CNTFRQ_EL0 stays readable and {@link Layout#END_MARK} (a read of the virtual
     * counter) traps, ending each sequence with an exit (the generator makes no counter reads).
     */
    static final long CNTKCTL_EL1_END_MARK_TRAPS = 1L;
    /** CPACR_EL1.FPEN = 11: FP/SIMD instructions do not trap at EL0 or EL1. */
    static final long CPACR_FPEN = 3L << 20;
    /** Stage 2 tables: outside the segments and outside the stage 2 map, so the guest cannot reach them. */
    static final long S2_TABLES = 0x2000_0000L;
    static final long HCR = SystemRegisters.HCR_TGE | SystemRegisters.HCR_DC | SystemRegisters.HCR_RW;
    /** VTCR_EL2: 32-bit IPA space (T0SZ 32), walk from level 1 (SL0 1), 4K granule, write-back tables, 32-bit PA. */
    private static final long VTCR = 32 | 1 << 6 | 1 << 8 | 1 << 10 | 3 << 12;
    private static final ValueLayout.OfLong D = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final Layout layout;
    final Cpu cpu;
    final PhysicalBus bus = new PhysicalBus();
    private final Ram codeRam, dataRam, stackRam, probeRam, tables;

    /** {@code translation}: how the processor runs code, set on it whatever the process default. */
    JvisorMachine(Layout layout, Profile profile, Translation translation) {
        this.layout = layout;
        byte[] code = layout.codeBytes();
        codeRam = Ram.allocate(ElfWriter.roundUp(code.length));
        dataRam = Ram.allocate(ElfWriter.roundUp(layout.dataMemSize()));
        stackRam = Ram.allocate(Layout.ALTSTACK_SIZE);
        probeRam = Ram.allocate(Layout.PROBE_SIZE);
        tables = Ram.allocate(0x3000);
        bus.addRam(Layout.CODE_BASE, codeRam);
        bus.addRam(Layout.DATA_BASE, dataRam);
        bus.addRam(Layout.ALTSTACK_BASE, stackRam);
        bus.addRam(Layout.PROBE_BASE, probeRam);
        bus.addRam(S2_TABLES, tables);
        byte[] probe = Layout.probeBytes();
        MemorySegment.copy(probe, 0, probeRam.segment(), ValueLayout.JAVA_BYTE, 0, probe.length);
        MemorySegment.copy(code, 0, codeRam.segment(), ValueLayout.JAVA_BYTE, 0, code.length);
        MemorySegment.copy(layout.data, 0, dataRam.segment(), ValueLayout.JAVA_BYTE, 0, layout.data.length);
        writeStage2Tables();
        cpu = new Cpu(bus, profile.features());
        cpu.setTranslation(translation);
        cpu.sr.vttbrEl2 = S2_TABLES;
        cpu.sr.vtcrEl2 = VTCR;
    }

    /** Level 1 table with one entry (the first GiB) pointing to a level 2 table of 2 MiB blocks (and one of pages). */
    private void writeStage2Tables() {
        MemorySegment t = tables.segment();
        t.set(D, 0, (S2_TABLES + 0x1000) | 3);
        map(t, Layout.CODE_BASE, codeRam.size(), 1L << 6); // S2AP 01: read-only, executable
        map(t, Layout.DATA_BASE, dataRam.size(), 3L << 6 | 1L << 54); // S2AP 11: read-write, XN
        map(t, Layout.ALTSTACK_BASE, stackRam.size(), 3L << 6 | 1L << 54);
        // The probe page alone in its 2 MiB block: a level 3 table with that one page, read-only and XN.
        long l3 = 0x2000;
        t.set(D, 0x1000 + 8 * (Layout.PROBE_BASE >>> 21), (S2_TABLES + l3) | 3);
        t.set(D, l3 + 8 * ((Layout.PROBE_BASE >>> 12) & 511), Layout.PROBE_BASE | 1L << 10 | 3L << 8 | 0xfL << 2 | 3
                | 1L << 6 | 1L << 54);
    }

    private static void map(MemorySegment t, long base, long size, long perms) {
        long normal = 1L << 10 | 3L << 8 | 0xfL << 2 | 1; // block, AF, inner shareable, Normal write-back
        for (long a = base & ~0x1fffffL; a < base + size; a += 1 << 21) t.set(D, 0x1000 + 8 * (a >>> 21), a | normal | perms);
    }

    /**
     * Puts the processor at EL0 as Linux runs user space (but for {@link #CNTKCTL_EL1_END_MARK_TRAPS}), with
     * nothing else of the state changed.
     */
    void enterEl0() {
        cpu.sr.hcrEl2 = HCR;
        cpu.sr.sctlr[1] = SCTLR_EL1_LINUX;
        cpu.sr.cntkctlEl1 = CNTKCTL_EL1_END_MARK_TRAPS;
        cpu.sr.cpacrEl1 |= CPACR_FPEN; // Linux user space may use FP/SIMD (QEMU user mode starts so)
        if (cpu.currentEl() != 0) cpu.setElAndSpSel(0, 0);
        cpu.daif = 0;
    }

    MemorySegment data() { return dataRam.segment(); }

    long read64(long addr) { return bus.read(addr, 8); }

    void write64(long addr, long v) { bus.write(addr, 8, v); }

    /** The signal Linux delivers for an exception from EL0 with this syndrome; -1 for one it would not turn into a signal. */
    static int linuxSignal(long esr) {
        int ec = Esr.ec(esr);
        int fsc = Esr.fsc(esr);
        return switch (ec) {
            case Esr.EC_UNKNOWN, Esr.EC_SYS64, Esr.EC_ILL, Esr.EC_FP_ASIMD, Esr.EC_HVC64, Esr.EC_SMC64 -> Outcome.SIGILL;
            case Esr.EC_BRK64, Esr.EC_BREAKPT_LOW, Esr.EC_SOFTSTP_LOW, Esr.EC_WATCHPT_LOW -> Outcome.SIGTRAP;
            case Esr.EC_PC_ALIGN, Esr.EC_SP_ALIGN -> Outcome.SIGBUS;
            case Esr.EC_DABT_LOW, Esr.EC_DABT_CUR -> fsc == Esr.FSC_ALIGNMENT ? Outcome.SIGBUS : Outcome.SIGSEGV;
            case Esr.EC_IABT_LOW, Esr.EC_IABT_CUR -> Outcome.SIGSEGV;
            default -> -1;
        };
    }

    @Override
    public void close() {
        codeRam.release();
        dataRam.release();
        stackRam.release();
        probeRam.release();
        tables.release();
    }
}
