package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Executes arbitrary instruction words, one at a time, at EL0 and EL1, with the MMU off and on, with random
 * register values (some pointing into RAM, some not), and checks what the architecture guarantees for any
 * word: it executes or it raises an architectural exception (the PC moves to a vector, or the run ends
 * with an EL2 trap or a WFI wait). No Java exception may escape {@link Cpu#run}: each one is a bug, listed
 * with the word and the stack (distinct stacks only) when the test fails.
 *
 * <p>The words are uniformly random 32-bit values plus, for every encoding in {@link Decoder#encodings()},
 * words with that encoding's fixed bits and random fields. The seed is fixed.
 */
class FuzzTest {
    static final long RAM = 0x4000_0000L, RAM_SIZE = 32L << 20;
    static final long CODE = RAM + 0x1000, VECTORS = RAM + 0x2000, TABLES = RAM + 0x10000;
    /** Registers "pointing into RAM" point here, far from the code, vectors and tables. */
    static final long DATA = RAM + (4L << 20), DATA_SIZE = 24L << 20;
    static final int RANDOM_WORDS = 100_000, PER_ENCODING = 64;
    static final int B_SELF = 0x14000000; // b .

    final PhysicalBus bus = new PhysicalBus();
    final Cpu cpu;
    final SplittableRandom rnd = new SplittableRandom(0x6a7669736f72L);
    final Map<String, String> failures = new LinkedHashMap<>();
    int executed, exceptions, exits;
    /** Words that executed, by EL (0, 1) and MMU (off, on): each configuration must really run code. */
    final int[] executedBy = new int[6];

    FuzzTest() {
        bus.addRam(RAM, Ram.allocate(RAM_SIZE));
        cpu = new Cpu(bus);
        for (long a = VECTORS; a < VECTORS + 0x800; a += 4) bus.write(a, 4, B_SELF);
        // Identity map of RAM in 2 MiB blocks and of the low 1 GiB as Device memory: 39-bit VA, 4 KiB granule,
        // walks start at level 1. The first block (code, vectors, tables) is read-only and executable at EL0
        // and EL1 (a block writable at EL0 could not be executed at EL1); the rest is read/write, XN.
        PageTables t = new PageTables(bus, TABLES, 12, 39);
        t.map(0, 0, 1, PageTables.AF | PageTables.PXN | PageTables.UXN);
        long normal = PageTables.AF | PageTables.SH_INNER | PageTables.attrIndx(1);
        t.map(RAM, RAM, 2, normal | PageTables.AP_RO_ALL);
        for (long pa = RAM + (2 << 20); pa < RAM + RAM_SIZE; pa += 2 << 20)
            t.map(pa, pa, 2, normal | PageTables.AP_RW_ALL | PageTables.PXN | PageTables.UXN);
        tables = t.root;
    }

    final long tables;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void noJavaExceptionEscapesFromAnyWord() {
        for (int i = 0; i < RANDOM_WORDS; i++) {
            int word = rnd.nextInt();
            step(word, 0);
            step(word, 1);
        }
        for (Encoding e : Decoder.encodings()) {
            int mask = e.mask(), value = e.value();
            for (int i = 0; i < PER_ENCODING; i++) {
                int word = (rnd.nextInt() & ~mask) | value;
                step(word, i & 1);
            }
        }
        System.out.printf("fuzz: %d executed, %d exceptions, %d exits (EL2 trap or WFI)%n", executed, exceptions, exits);
        for (int k = 0; k < 4; k++)
            if (executedBy[k] < 1000) failures.put("config" + k, String.format("- only %d words executed at EL%d with the MMU %s%n",
                    executedBy[k], k / 2, (k & 1) != 0 ? "on" : "off"));
        if (!failures.isEmpty()) {
            StringBuilder s = new StringBuilder(failures.size() + " distinct Java exceptions escaped from Cpu.run:\n");
            failures.values().forEach(s::append);
            fail(s.toString());
        }
    }

    /**
     * The same with random translation and trap controls: stage 1 walks of random tables (RAM holds
     * random bytes), random TCR fields, stage 2 on or off with random VTCR/VTTBR, random HCR_EL2, CPTR_EL2,
     * MDCR_EL2 and HSTR_EL2 (every field a hypervisor may write), at EL0, EL1 and EL2.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void noJavaExceptionEscapesUnderRandomTranslationAndTrapControls() {
        byte[] noise = new byte[1 << 20];
        for (long a = DATA; a < DATA + DATA_SIZE; a += noise.length) {
            rnd.nextBytes(noise);
            for (int k = 0; k < noise.length; k += 8)
                bus.write(a + k, 8, java.nio.ByteBuffer.wrap(noise, k, 8).getLong());
        }
        randomControls = true;
        for (int i = 0; i < RANDOM_WORDS; i++) step(rnd.nextInt(), rnd.nextInt(3));
        for (Encoding e : Decoder.encodings())
            for (int i = 0; i < PER_ENCODING; i++) step((rnd.nextInt() & ~e.mask()) | e.value(), rnd.nextInt(3));
        System.out.printf("fuzz (random controls): %d executed, %d exceptions, %d exits%n", executed, exceptions, exits);
        if (!failures.isEmpty()) {
            StringBuilder s = new StringBuilder(failures.size() + " distinct Java exceptions escaped from Cpu.run:\n");
            failures.values().forEach(s::append);
            fail(s.toString());
        }
    }

    boolean randomControls;

    /** Runs {@code word} once at {@code el} from a fresh random state. */
    private void step(int word, int el) {
        boolean mmuOn = rnd.nextBoolean();
        setUp(el, mmuOn);
        if (randomControls) randomizeControls(el);
        bus.write(CODE, 4, word);
        ExitReason r;
        try {
            r = cpu.run(1);
        } catch (Throwable t) {
            record(word, el, mmuOn, t);
            return;
        }
        boolean atVector = cpu.pc - VECTORS >= 0 && cpu.pc - VECTORS < 0x800 && (cpu.pc & 0x7f) == 0;
        if (r == ExitReason.EL2_TRAP || r == ExitReason.WAIT_FOR_INTERRUPT) exits++;
        else if (atVector && r == ExitReason.BUDGET) exceptions++;
        else if (r == ExitReason.BUDGET) {
            executed++;
            executedBy[el * 2 + (mmuOn ? 1 : 0)]++;
        }
        else record(word, el, mmuOn, new AssertionError("unexpected exit " + r));
    }

    private void setUp(int el, boolean mmuOn) {
        cpu.reset();
        cpu.sr.vbar[1] = VECTORS;
        cpu.sr.vbar[2] = VECTORS;
        if (mmuOn) {
            cpu.sr.mair[1] = 0xff00;
            cpu.sr.tcr[1] = 25 | (1L << 8) | (1L << 10) | (3L << 12) | (1L << 23) | (2L << 32);
            cpu.sr.ttbr0[1] = tables;
            cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_M | SystemRegisters.SCTLR_C | SystemRegisters.SCTLR_I;
        }
        // SCTLR_EL1.UCT/DZE/UCI/nTWI/nTWE vary what EL0 may do.
        cpu.sr.sctlr[1] ^= rnd.nextLong() & (SystemRegisters.SCTLR_UCT | SystemRegisters.SCTLR_DZE | SystemRegisters.SCTLR_UCI
                | SystemRegisters.SCTLR_NTWI | SystemRegisters.SCTLR_NTWE);
        cpu.tlbFlush();
        if (el == 0) cpu.setElAndSpSel(0, 0);
        else cpu.setElAndSpSel(1, rnd.nextInt(2));
        cpu.daif = rnd.nextInt(16) << 6;
        cpu.setNzcv(rnd.nextInt(16));
        for (int i = 0; i < 31; i++) cpu.x[i] = randomValue();
        cpu.sp = rnd.nextInt(4) == 0 ? randomValue() : randomValue() & ~15L;
        cpu.setSpEl(el == 0 ? 1 : 0, randomValue() & ~15L);
        cpu.pc = CODE;
    }

    private void randomizeControls(int el) {
        SystemRegisters sr = cpu.sr;
        // Each HCR_EL2 bit set with probability 1/8, so that most words still run rather than trap.
        sr.hcrEl2 = (rnd.nextLong() & rnd.nextLong() & rnd.nextLong() & ((1L << 35) - 1)) | SystemRegisters.HCR_RW;
        sr.cptrEl2 = rnd.nextLong() & rnd.nextLong() & 0x8000_3fffL;
        sr.mdcrEl2 = rnd.nextLong() & rnd.nextLong() & 0xfffffL;
        sr.hstrEl2 = rnd.nextLong() & rnd.nextLong() & 0xffffL;
        sr.vttbrEl2 = rnd.nextBoolean() ? (DATA + rnd.nextLong(DATA_SIZE)) & ~0xfffL : rnd.nextLong();
        sr.vtcrEl2 = rnd.nextLong() & 0x7_ffffL;
        if (rnd.nextBoolean()) {
            sr.tcr[1] = rnd.nextLong() & 0x7f_ffff_ffffL;
            sr.ttbr0[1] = rnd.nextBoolean() ? (DATA + rnd.nextLong(DATA_SIZE)) & ~0xfffL : rnd.nextLong();
            sr.ttbr1El1 = (DATA + rnd.nextLong(DATA_SIZE)) & ~0xfffL;
        }
        sr.sctlr[2] ^= rnd.nextLong() & (SystemRegisters.SCTLR_M | SystemRegisters.SCTLR_A | SystemRegisters.SCTLR_SA);
        sr.tcr[2] = rnd.nextLong() & 0x7fff_ffffL;
        sr.ttbr0[2] = (DATA + rnd.nextLong(DATA_SIZE)) & ~0xfffL;
        cpu.tlbFlush();
        if (el == 2) cpu.setElAndSpSel(2, rnd.nextInt(2));
    }

    private long randomValue() {
        return switch (rnd.nextInt(6)) {
            case 0, 1 -> DATA + rnd.nextLong(DATA_SIZE); // into RAM, any alignment
            case 2 -> (DATA + rnd.nextLong(DATA_SIZE)) & ~63L;
            case 3 -> rnd.nextLong(-4096, 4096); // small offsets, indexes, shift amounts
            case 4 -> rnd.nextLong(); // anywhere
            default -> new long[] {0, -1, 1L << 63, Long.MAX_VALUE, 0xffff_ffffL, 0x8000_0000L, 1L << 48, 0x0900_0000L}[rnd.nextInt(8)];
        };
    }

    private void record(int word, int el, boolean mmuOn, Throwable t) {
        StackTraceElement[] st = t.getStackTrace();
        String key = t.getClass().getName() + (st.length > 0 ? "@" + st[0] : "");
        if (failures.containsKey(key) || failures.size() >= 30) return;
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        List<String> lines = new ArrayList<>(List.of(w.toString().split("\n")));
        String trace = String.join("\n", lines.subList(0, Math.min(lines.size(), 12)));
        failures.put(key, String.format("- word %08x (%s) at EL%d, MMU %s:%n%s%n", word, Decoder.nameOf(word), el,
                mmuOn ? "on" : "off", trace));
    }
}
