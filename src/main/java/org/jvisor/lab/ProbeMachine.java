package org.jvisor.lab;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.ExitReason;
import org.jvisor.cpu.Features;
import org.jvisor.cpu.GenericTimer;
import org.jvisor.cpu.Mmu;
import org.jvisor.cpu.PhysicalBus;
import org.jvisor.cpu.Ram;
import org.jvisor.cpu.SysRegTable;
import org.jvisor.cpu.Translation;

/**
 * A bare processor on a little RAM that executes one instruction at a time from a known machine state, at EL0
 * or EL1, and reports what it did ({@link Observation}). No VM: EL2 is there but out of the way (HCR_EL2 has
 * only RW set, so nothing traps to it; an exception to EL2 ends the run), since what is measured is the
 * ISA's own EL0/EL1 split under EL1's controls ({@link El1Controls}).
 *
 * <p>The state: stage 1 on (4 KiB pages, one TTBR0_EL1 table tree) mapping a code page and the vectors
 * (executable at EL0 and EL1), the operand page X1 points to (EL0 read/write), a kernel page (EL1 only), two
 * stacks, and two planted pages, one global and one non-global (ASID 0), whose TLB entries are stale: their
 * descriptors were changed after the TLB cached them, so a TLBI shows by making them translate anew. The
 * system counter stands still, so counters read the same every run. {@link Variant}s are the same state
 * with one privileged thing changed, to see which instructions' results depend on it.
 */
final class ProbeMachine {
    static final long RAM_BASE = 0x4000_0000L, RAM_SIZE = 4L << 20, RELOCATION = 1L << 20;
    /** Every planted page's virtual address is VA_BASE plus its offset in the region. */
    static final long VA_BASE = 0x1000_0000L;
    static final int VECTORS = 0x0000, CODE = 0x1000, DATA = 0x2000, KERNEL = 0x3000, STALE_GLOBAL = 0x4000,
            STALE_LOCAL = 0x5000, OLD_GLOBAL = 0x6000, OLD_LOCAL = 0x7000, NEW_GLOBAL = 0x8000, NEW_LOCAL = 0x9000,
            STACK_EL0 = 0xA000, STACK_EL1 = 0xB000, TABLES = 0x10000;
    /** The pages planted (data, kernel, planted, stacks). */
    static final int MEMORY_FROM = DATA, MEMORY_TO = 0xC000;
    static final long OPERAND_OFFSET = 0x100;
    /** PSTATE.DAIF while probing: D and I masked, A and F not, so that DAIFSet and DAIFClr both change it. */
    static final int DAIF = Cpu.DAIF_D | Cpu.DAIF_I;
    static final long NOP = 0xD503201FL;
    /** The cycle counter and event counters 0, 2 and 4: enabled, interrupting and overflowed in the base state. */
    static final long HALF_PMU = 0x8000_0015L;
    // Stage 1 page descriptor bits
    private static final long AF = 1L << 10, SH_INNER = 3L << 8, NG = 1L << 11, AP_RW_EL1 = 0, AP_RW_ALL = 1L << 6,
            AP_RO_ALL = 3L << 6;
    /** Registers left out of the snapshot: views of state that is in it, which an MRS may not read in every state. */
    private static final List<String> VIEWS = List.of("SP_EL0", "PMXEVCNTR_EL0", "PMXEVTYPER_EL0");
    /** The region's pages as every run starts: NOPs at the code page, each data word telling its own offset. */
    private static final byte[] CONTENTS = contents();

    private static byte[] contents() {
        byte[] region = new byte[MEMORY_TO];
        ByteBuffer b = ByteBuffer.wrap(region).order(ByteOrder.LITTLE_ENDIAN);
        for (int a = CODE; a < CODE + 0x1000; a += 4) b.putInt(a, (int) NOP);
        for (int a = MEMORY_FROM; a < MEMORY_TO; a += 8) b.putLong(a, 0x5A00_0000_0000_0000L | (long) a << 16 | a);
        return region;
    }

    /** The frozen system counter. */
    private static final GenericTimer.CounterSource STILL = new GenericTimer.CounterSource() {
        @Override
        public long count() { return 1_000_000L; }

        @Override
        public long nanosFor(long ticks) { return Long.MAX_VALUE; }
    };

    /** A machine state that differs from the base one in one privileged thing only. */
    enum Variant {
        BASE("base"),
        /** Everything at a physical address 1 MiB higher, the same at every virtual address (P&amp;G's relocation). */
        RELOCATED("memory relocated"),
        /** The operand page is no longer accessible at EL0 (what a VMM's shadow tables change for a kernel run at EL0). */
        OPERAND_PAGE_EL1_ONLY("operand page EL1-only"),
        /** VPIDR_EL2, VMPIDR_EL2 and CNTVOFF_EL2 as a VMM sets them for a virtual CPU. */
        VIRTUAL_CPU("VPIDR/VMPIDR/CNTVOFF_EL2 set");

        final String description;

        Variant(String description) { this.description = description; }
    }

    private final PhysicalBus bus = new PhysicalBus();
    private final Cpu cpu;
    private final El1Controls controls;
    /** The registers the snapshot reads: every readable one the host can read here (no GIC: no ICC_*). */
    private final List<String> snapshotRegisters = new ArrayList<>();
    /**
     * The writable registers as the new processor had them. A reset leaves the registers whose reset value is
     * UNKNOWN as they were (TPIDR_EL1, ELR_EL1, FAR_EL1...): every run puts them back, so that no run sees
     * what an earlier one wrote.
     */
    private final Map<String, Long> fresh = new LinkedHashMap<>();

    ProbeMachine(El1Controls controls, Features features) {
        this.controls = controls;
        bus.addRam(RAM_BASE, Ram.allocate(RAM_SIZE));
        cpu = new Cpu(bus, features);
        cpu.setTranslation(Translation.OFF); // one instruction per run: nothing to translate
        cpu.timer.setCounterSource(STILL);
        bus.writeBytes(RAM_BASE, CONTENTS);
        bus.writeBytes(RAM_BASE + RELOCATION, CONTENTS);
        for (SysRegTable.Entry e : SysRegTable.entries()) {
            if (!e.readable() || e.operation() || VIEWS.contains(e.name())) continue;
            try {
                long v = SysRegTable.read(cpu, e.name());
                snapshotRegisters.add(e.name());
                if (e.writable()) fresh.put(e.name(), v);
            } catch (IllegalArgumentException absent) {
                // a register of a part that is not attached (the GIC CPU interface)
            }
        }
    }

    El1Controls controls() { return controls; }

    static long va(int page) { return VA_BASE + page; }

    /**
     * The values an MSR of {@code register} may write, best first: the register's base value with every bit
     * flipped, so that any bit EL1 may change changes; then the value itself, which is what changes a
     * write-one-to-clear register (PMCNTENCLR_EL0 reads the enabled counters: writing them clears them).
     * A write-only register gets a fixed pattern and its complement.
     */
    long[] newValues(String register) {
        setUp(null, 0, Variant.BASE);
        try {
            long v = SysRegTable.read(cpu, register);
            return new long[] {~v, v};
        } catch (IllegalArgumentException writeOnly) {
            return new long[] {0x5555_5555_5555_5554L, ~0x5555_5555_5555_5554L};
        }
    }

    /** The values X0 may hold for {@code insn}, best first (see {@link #newValues}); one for all but MSR. */
    long[] operands(SystemInstruction insn) {
        return switch (insn.operand()) {
            case NONE -> new long[] {0x0123_4567_89AB_CDEFL};
            case NEW_VALUE -> newValues(insn.register());
            case DATA_ADDRESS -> new long[] {va(DATA) + OPERAND_OFFSET};
            case CODE_ADDRESS -> new long[] {va(CODE)};
            case TLBI_PAGE -> new long[] {va(STALE_LOCAL) >>> 12};
        };
    }

    /** Executes {@code insn} once at {@code el} (0 or 1) in {@code variant} of the machine state, with X0 = {@code x0}. */
    Observation run(SystemInstruction insn, long x0, int el, Variant variant) {
        long base = setUp(insn, x0, variant);
        cpu.setElAndSpSel(el, el == 0 ? 0 : 1);
        cpu.pc = va(CODE);
        Map<String, Long> registersBefore = registers(), translationBefore = translations(base);
        ExitReason exit = cpu.run(1);
        long vectors = va(VECTORS);
        int exceptionEl = exit == ExitReason.EL2_TRAP ? 2 : cpu.pc >= vectors && cpu.pc < vectors + 0x800 ? 1 : 0;
        long esr = exceptionEl == 0 ? 0 : cpu.sr.esr[exceptionEl];
        long[] x = cpu.x.clone();
        int nzcv = cpu.nzcv();
        Map<String, Long> registersAfter = registers(), translationAfter = translations(base);
        byte[] memory = new byte[0x1000]; // the operand page: the only memory an instruction here is given
        bus.readBytes(base + DATA, memory, 0, memory.length);
        return new Observation(exceptionEl, esr, x, nzcv, memory, registersBefore, registersAfter, translationBefore,
                translationAfter);
    }

    /**
     * Whether {@code insn} executes at EL2 without an exception (EL2's translation off, the code at its
     * physical address): tells an EL2 instruction from one the processor does not implement.
     */
    boolean executesAtEl2(SystemInstruction insn, long x0) {
        long base = setUp(insn, x0, Variant.BASE);
        cpu.setElAndSpSel(2, 1);
        cpu.pc = base + CODE;
        return cpu.run(1) != ExitReason.EL2_TRAP;
    }

    /** Puts the machine in {@code variant}'s state with {@code insn} (if any) at the code page; returns the region's base. */
    private long setUp(SystemInstruction insn, long x0, Variant variant) {
        cpu.reset();
        fresh.forEach((r, v) -> {
            if (SysRegTable.read(cpu, r) != v) SysRegTable.write(cpu, r, v);
        });
        long base = RAM_BASE + (variant == Variant.RELOCATED ? RELOCATION : 0);
        // Only the operand page can have been written (the one instruction of a run writes nowhere else).
        bus.writeBytes(base + DATA, CONTENTS, DATA, 0x1000);
        byte[] code = new byte[4];
        ByteBuffer.wrap(code).order(ByteOrder.LITTLE_ENDIAN).putInt(0, insn == null ? (int) NOP : insn.word());
        bus.writeBytes(base + CODE, code);
        long l1 = base + TABLES, l2 = l1 + 0x1000, l3 = l2 + 0x1000;
        bus.writeBytes(l1, new byte[0x3000]);
        bus.write(l1, 8, l2 | 3);
        bus.write(l2 + 8 * ((VA_BASE >>> 21) & 511), 8, l3 | 3);
        long data = variant == Variant.OPERAND_PAGE_EL1_ONLY ? AP_RW_EL1 : AP_RW_ALL;
        map(l3, base, VECTORS, VECTORS, AP_RO_ALL);
        map(l3, base, CODE, CODE, AP_RO_ALL);
        map(l3, base, DATA, DATA, data);
        map(l3, base, KERNEL, KERNEL, AP_RW_EL1);
        map(l3, base, STALE_GLOBAL, OLD_GLOBAL, AP_RW_ALL);
        map(l3, base, STALE_LOCAL, OLD_LOCAL, AP_RW_ALL | NG);
        map(l3, base, STACK_EL0, STACK_EL0, AP_RW_ALL);
        map(l3, base, STACK_EL1, STACK_EL1, AP_RW_EL1);

        SysRegTable.write(cpu, "MAIR_EL1", 0xff); // Attr0: Normal, write-back
        SysRegTable.write(cpu, "TCR_EL1", 25 /* T0SZ: 39-bit VA */ | 1L << 8 | 1L << 10 | 3L << 12 | 1L << 23 /* EPD1 */
                | 2L << 32 /* IPS: 40 bits */);
        SysRegTable.write(cpu, "TTBR0_EL1", l1);
        SysRegTable.write(cpu, "VBAR_EL1", va(VECTORS));
        SysRegTable.write(cpu, "ELR_EL1", va(CODE) + 8);
        SysRegTable.write(cpu, "SPSR_EL1", DAIF); // ERET returns to EL0t with the same masks
        if (variant == Variant.VIRTUAL_CPU) {
            SysRegTable.write(cpu, "VPIDR_EL2", SysRegTable.read(cpu, "VPIDR_EL2") ^ 0x00100000L); // another variant
            SysRegTable.write(cpu, "VMPIDR_EL2", SysRegTable.read(cpu, "VMPIDR_EL2") | 1); // another Aff0
            SysRegTable.write(cpu, "CNTVOFF_EL2", 0x1234_5678L); // low bits too: CNTV_TVAL_EL0 is 32 bits
        }
        controls.apply(cpu);
        // Some of everything that has set and clear registers, so that both kinds have something to change.
        for (String r : new String[] {"PMCNTENSET_EL0", "PMINTENSET_EL1", "PMOVSSET_EL0"}) SysRegTable.write(cpu, r, HALF_PMU);
        SysRegTable.write(cpu, "DBGCLAIMSET_EL1", 0x55);
        cpu.daif = DAIF;
        for (int i = 0; i < 31; i++) cpu.x[i] = 0x1111_1111_1111_1111L * (i + 1);
        cpu.x[0] = x0;
        cpu.x[1] = va(DATA) + OPERAND_OFFSET;
        cpu.setSpEl(0, va(STACK_EL0) + 0x800);
        cpu.setSpEl(1, va(STACK_EL1) + 0x800);
        // Cache the planted pages' translations, then move them: the TLB now holds stale entries.
        cpu.mmu.probe(va(STALE_GLOBAL), 0, false); // as EL0: EL1 may have PAN set
        cpu.mmu.probe(va(STALE_LOCAL), 0, false);
        map(l3, base, STALE_GLOBAL, NEW_GLOBAL, AP_RW_ALL);
        map(l3, base, STALE_LOCAL, NEW_LOCAL, AP_RW_ALL | NG);
        return base;
    }

    private void map(long l3, long base, int page, int target, long bits) {
        bus.write(l3 + 8 * (page >>> 12), 8, (base + target) | AF | SH_INNER | bits | 3);
    }

    private Map<String, Long> registers() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String r : snapshotRegisters) m.put(r, SysRegTable.read(cpu, r));
        m.put("SP_EL0", cpu.getSpEl(0));
        return m;
    }

    private static final String[] PAGE_NAMES = {"code page", "operand page", "kernel page", "stale global page",
            "stale non-global page"};
    private static final int[] PAGES = {CODE, DATA, KERNEL, STALE_GLOBAL, STALE_LOCAL};

    /**
     * Where an EL0 and an EL1 read and write of each planted page go now (offset in the region, or -1: fault).
     * The stale pages are looked up from EL0 only, where they never fault: a faulting lookup may drop the
     * TLB entry it hit (under PAN an EL1 access to them faults), and their stale entries must stay for the
     * instruction to remove.
     */
    private Map<String, Long> translations(long base) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < PAGES.length; i++) {
            boolean stale = PAGES[i] == STALE_GLOBAL || PAGES[i] == STALE_LOCAL;
            for (int el = 0; el < (stale ? 1 : 2); el++) {
                for (boolean write : new boolean[] {false, true}) {
                    long pa = cpu.mmu.probe(va(PAGES[i]), el, write);
                    m.put(PAGE_NAMES[i] + (write ? " written" : " read") + " at EL" + el, pa == Mmu.FAULT ? -1 : pa - base);
                }
            }
        }
        return m;
    }
}
