package org.jvisor.vmm.debug;

import org.jvisor.vmm.BoardConfig;
import org.jvisor.vmm.VirtBoard;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.Asm;
import org.jvisor.hyp.MemorySlot;
import org.jvisor.hyp.Vcpu;

/**
 * The monitor's commands against a bare-metal guest on the virt board whose every step is known: it sets
 * registers, writes memory, builds its own stage-1 tables and turns the MMU on, makes a known number of
 * traps of each kind, then counts in X5 forever. What the monitor shows is checked against what the
 * guest did (the reference), and against the architecture's meaning of the descriptor bits.
 */
class MonitorTest {
    /**
     * Stage 1 (4 KiB granule, 39-bit VAs both halves, MAIR attr 0 Device-nGnRnE, attr 1 Normal WB):
     * TTBR0 L1[0] a 1 GiB Device block at 0 (the PL011), L1[1] RAM identity (0x40000000), L1[2] a table
     * down to an L3 page: VA 0x80005000 -> PA 0x40100000 (L3[6] invalid); TTBR1 L1[0] a block
     * VA 0xffffff8000000000 -> PA 0x40000000.
     */
    static final String GUEST = """
            ldr x19, =0x1111222233334444
            ldr x20, =0xdeadbeef
            ldr x21, =0x80005000               // a pointer for "x $x21"
            ldr x1, =0x40100000
            ldr x2, =0x0123456789abcdef
            str x2, [x1]                       // data page: the first magic, MMU off
            adr x3, word
            ldr x3, [x3]
            str x3, [x1, #16]                  // "monitor!" at 0x40100010

            ldr x1, =0x40200000                // TTBR0 L1
            mov x2, #0x401                     // block at 0, AF, AttrIndx 0 (Device)
            str x2, [x1]
            ldr x2, =0x40000705                // block at 1 GiB, AF, SH inner, AttrIndx 1
            str x2, [x1, #8]
            ldr x2, =0x40201003                // table -> L2
            str x2, [x1, #16]
            ldr x1, =0x40201000
            ldr x2, =0x40202003                // table -> L3
            str x2, [x1]
            ldr x1, =0x40202000
            ldr x2, =0x40100707                // page -> 0x40100000, AF, SH inner, AttrIndx 1
            str x2, [x1, #5 * 8]
            ldr x1, =0x40203000                // TTBR1 L1
            ldr x2, =0x40000705
            str x2, [x1]

            ldr x1, =0xff00
            msr mair_el1, x1
            ldr x1, =(25 | 25 << 16 | 2 << 30 | 2 << 32)
            msr tcr_el1, x1
            ldr x1, =0x40200000
            msr ttbr0_el1, x1
            ldr x1, =0x40203000
            msr ttbr1_el1, x1
            isb
            mrs x1, sctlr_el1
            orr x1, x1, #1
            msr sctlr_el1, x1
            isb

            ldr x1, =0x80005008                // through the L3 page
            ldr x2, =0xfeedfacecafebeef
            str x2, [x1]

            mov w6, #3                         // 3 HVCs: PSCI_VERSION
        1:  ldr x0, =0x84000000
            hvc #0
            subs w6, w6, #1
            b.ne 1b
            mrs x1, actlr_el1                  // 2 trapped system register reads (HCR_EL2.TACR)
            mrs x1, actlr_el1

            ldr x1, =0x09000000                // 6 PL011 writes through the Device block
            adr x2, hello
        2:  ldrb w3, [x2], #1
            cbz w3, 3f
            str w3, [x1]
            b 2b
        3:  ldr x1, =0x0b000000                // hide/seek: HIDE 0x5a in the descriptor of IPA 0x40000000
            mov w2, #0x5a
            strb w2, [x1]
        loop:
            add x5, x5, #1
            b loop
            .balign 8
        word: .ascii "monitor!"
        hello: .asciz "hello\\n"
            .ltorg
            """;

    static final long DATA = 0x4010_0000L;

    static Path dir;
    static VirtBoard board;
    static Monitor monitor;
    static Thread runner;
    static final int[] status = {-1};
    static final ByteArrayOutputStream console = new ByteArrayOutputStream();
    static final ByteArrayOutputStream log = new ByteArrayOutputStream();

    @BeforeAll
    static void boot(@TempDir Path tmp) throws Exception {
        dir = tmp;
        board = boot(tmp, GUEST, 1);
        monitor = new Monitor(board);
        runner = start(board);
        awaitLoop(board.vcpus().get(0));
    }

    static VirtBoard boot(Path tmp, String guest, int cpus) throws Exception {
        Path kernel = Files.write(tmp.resolve("guest" + cpus + ".bin"), Asm.assemble(guest, 0x4008_0000L));
        BoardConfig config = new BoardConfig(64L << 20, cpus, 2, true, List.of(), kernel, null, "", false);
        return VirtBoard.build(config, console, new PrintStream(log, true), false);
    }

    static Thread start(VirtBoard b) {
        return Thread.ofPlatform().daemon().start(() -> {
            try {
                status[0] = b.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    static void awaitLoop(Vcpu v) throws InterruptedException {
        long until = System.nanoTime() + 20_000_000_000L;
        while (v.x(5) == 0 && System.nanoTime() < until) Thread.sleep(5);
        assertTrue(v.x(5) != 0, "the guest reached its loop");
    }

    @AfterAll
    static void shutDown() throws Exception {
        board.stop(0);
        runner.join(10_000);
        board.close();
    }

    static String run(String command) {
        return monitor.execute(command);
    }

    @Test
    void registersTheGuestSetShowUp() {
        String r = run("info registers");
        assertTrue(r.startsWith("CPU#0\n PC="), r);
        assertTrue(r.contains("X19=1111222233334444"), r);
        assertTrue(r.contains("X20=00000000deadbeef"), r);
        assertTrue(r.contains("TTBR0_EL1=0000000040200000 TTBR1_EL1=0000000040203000"), r);
        assertTrue(r.contains("TCR_EL1=" + String.format("%016x", 25L | 25L << 16 | 2L << 30 | 2L << 32)), r);
        assertTrue(r.contains("MAIR_EL1=000000000000ff00"), r);
        Matcher sctlr = Pattern.compile("SCTLR_EL1=([0-9a-f]{16})").matcher(r);
        assertTrue(sctlr.find());
        assertEquals(1, Long.parseLong(sctlr.group(1), 16) & 1, "the guest turned the MMU on");
        // The guest spins in a two-instruction loop; PSTATE is EL1h (SPSR layout, M = 0b0101) with DAIF masked.
        Matcher pc = Pattern.compile(" PC=([0-9a-f]{16}) ").matcher(r);
        assertTrue(pc.find());
        long loop = loopAddress();
        long p = Long.parseLong(pc.group(1), 16);
        assertTrue(p == loop || p == loop + 4, "PC " + Long.toHexString(p) + " in the loop at " + Long.toHexString(loop));
        assertTrue(r.contains("PSTATE=") && r.contains(" EL1h"), r);
        assertTrue(r.contains("X30=") && r.contains("  SP="), r);
        assertEquals(r, run("info registers 0").replaceFirst(" PC=[0-9a-f]{16}", " PC=" + pc.group(1))
                .replaceFirst("X05=[0-9a-f]{16}", r.substring(r.indexOf("X05="), r.indexOf("X05=") + 20)));
        assertTrue(run("info registers -a").startsWith("CPU#0\n"));
    }

    /** The loop's address, from the guest image: the "add x5, x5, #1" word (0x910004a5) after the code above. */
    static long loopAddress() {
        byte[] image = Asm.assemble(GUEST, 0x4008_0000L);
        for (int i = 0; i + 4 <= image.length; i += 4) {
            int w = (image[i] & 0xff) | (image[i + 1] & 0xff) << 8 | (image[i + 2] & 0xff) << 16 | (image[i + 3] & 0xff) << 24;
            if (w == 0x910004a5) return 0x4008_0000L + i;
        }
        throw new AssertionError("no loop in the image");
    }

    @Test
    void xReadsThroughTheGuestsStage1AndXpPhysicalMemory() {
        String expected = ": 0x0123456789abcdef 0xfeedfacecafebeef\n";
        assertEquals("0000000040100000" + expected, run("xp/2xg 0x40100000"));
        assertEquals("0000000080005000" + expected, run("x/2xg 0x80005000"), "VA through the L3 page");
        assertEquals("ffffff8000100000" + expected, run("x/2xg 0xffffff8000100000"), "VA through TTBR1's block");
        assertEquals("0000000040100000" + expected, run("x/2xg 0x40100000"), "identity block");
        assertEquals("0000000080005000: 0x89abcdef 0x01234567 0xcafebeef 0xfeedface\n", run("x/4xw 0x80005000"));
        assertEquals("0000000080005000: 0xcdef 0x89ab 0x4567 0x0123\n", run("x/4xh 0x80005000"));
        assertEquals("0000000080005010: 'm' 'o' 'n' 'i' 't' 'o' 'r' '!'\n", run("x/8c 0x80005010"));
        assertEquals("0000000040100000: 0xef 0xcd 0xab 0x89 0x67 0x45 0x23 0x01\n0000000040100008: 0xef 0xbe\n",
                run("xp/10xb 0x40100000"));
        assertEquals("0000000080005000: 239 205\n", run("x/2ub 0x80005000"));
        assertEquals("0000000080005008:   -77129852519530769\n", run("x/1dg 0x80005008"));
        // QEMU's default: one hex word.
        assertEquals("0000000080005000: 0x89abcdef\n", run("x 0x80005000"));
        assertEquals("0000000080005000" + expected, run("x/2xg $x21"));
        assertEquals("0000000080005008: 0xfeedfacecafebeef\n", run("x/xg $x21 + 0x10 - 8"));
    }

    @Test
    void xFailsWhereTheGuestMapsNothing() {
        assertEquals("0000000080006000: Cannot access memory\n", run("x/2xw 0x80006000"), "L3[6] invalid");
        assertEquals("000000c000000000: Cannot access memory\n", run("x 0xc000000000"), "beyond TTBR0's 39 bits");
        assertEquals("0000000100000000: Cannot access memory\n", run("xp 0x100000000"));
        assertEquals("0000000009000000: Cannot access memory (IPA 0x9000000 is not guest RAM)\n", run("x 0x09000000"));
    }

    @Test
    void stage2ShowsTheDescriptorOfATouchedPageAndNothingForAnUntouchedOne() {
        MemorySlot ram = board.vm().slots().get(0);
        String s = run("info stage2 0x40100008");
        assertTrue(s.startsWith("IPA 0x0000000040100008 (vCPU 0, stage-2 view 0, VMID "), s);
        assertTrue(s.contains("level 3 page descriptor 0x"), s);
        assertTrue(s.contains("maps IPA 0x0000000040100000-0x0000000040100fff"), s);
        assertTrue(s.contains(String.format("output address 0x%016x", ram.hostAddress(0x4010_0008L))), s);
        assertTrue(s.contains("S2AP RW  XN 0  AF 1  MemAttr 0xf (Normal Write-Back)  SH Inner Shareable"), s);
        assertTrue(s.contains("hide/seek byte [58:51] 0x00"), s);
        assertTrue(run("info stage2 0x40500000").endsWith(": not mapped (guest RAM the guest has not touched yet)\n"));
        assertTrue(run("info stage2 0x09000000").endsWith(": not mapped (no guest RAM there)\n"));
    }

    @Test
    void stage2ShowsTheByteHideSeekHid() {
        // HIDE put 0x5a in bits [58:51] of the descriptor mapping IPA 0x40000000 (the device mapped the page):
        // bit 52 (Contiguous), 54 (XN), 55 and 57 (software bits [58:55] = 0b0101).
        String s = run("info stage2 0x40000000");
        assertTrue(s.contains("level 3 page descriptor"), s);
        assertTrue(s.contains("S2AP RW  XN 1  AF 1"), s);
        assertTrue(s.contains("DBM 0  Contiguous 1  software bits [58:55] 0x5  hide/seek byte [58:51] 0x5a"), s);
    }

    @Test
    void trapCountsMatchWhatTheGuestDid() {
        String t = run("info traps");
        // CPU: 3 HVC + 2 ACTLR_EL1 reads; MEM: the code page (fetch), the data page and 4 table pages;
        // IO: 6 PL011 writes and the HIDE write. Exits: each of those, data aborts being MEM or IO.
        assertTrue(t.startsWith("vCPU 0: CPU 5  MEM 6  IO 7  exits 18\n"), t);
        assertTrue(t.contains("  DABT_LOW     0x24           12\n"), t);
        assertTrue(t.contains("  HVC64        0x16            3\n"), t);
        assertTrue(t.contains("  SYS64        0x18            2\n"), t);
        assertTrue(t.contains("  IABT_LOW     0x20            1\n"), t);
        assertEquals("hello\n", console.toString());
    }

    @Test
    void malformedCommandsAnswerAnErrorLine() {
        assertEquals("unknown command: 'foo'\n", run("foo"));
        assertEquals("unknown command: 'info foo'\n", run("info foo"));
        assertEquals("invalid char in format: 'q'\nTry \"help x\" for more information\n", run("x/4q 0"));
        assertEquals("unexpected end of expression\nTry \"help x\" for more information\n", run("x/2xw"));
        assertEquals("invalid CPU index\nTry \"help cpu\" for more information\n", run("cpu 3"));
        assertTrue(run("info stage2 zz").startsWith("invalid number: 'zz'\n"));
        assertTrue(run("info stage2").startsWith("info stage2: one IPA expected\n"));
        assertTrue(run("x/99999999xg 0").startsWith("x: at most"));
        assertTrue(run("x $nope").startsWith("unknown register: '$nope'"));
        assertTrue(run("stop now").startsWith("stop: too many arguments"));
        assertEquals("", run(""));
        assertEquals("", run("   "));
        assertTrue(run(null).isEmpty());
        // A fuzz of junk never throws and always answers.
        java.util.Random rnd = new java.util.Random(7);
        String alphabet = "xpinforegsta2cu/$0123456789abcdefghqw -+\t";
        for (int i = 0; i < 2000; i++) {
            StringBuilder b = new StringBuilder();
            for (int n = rnd.nextInt(24); n > 0; n--) b.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            String line = b.toString();
            if (line.strip().matches("(q|quit|s|stop)")) continue;
            assertTrue(run(line) != null);
        }
        assertEquals("VM status: running\n", run("info status"));
    }

    @Test
    void helpListsTheCommands() {
        String h = run("help");
        for (String c : List.of("info traps", "info registers", "info stage2", "x /fmt addr", "xp /fmt addr", "stop|s", "cont|c",
                "quit|q", "info status", "cpu index"))
            assertTrue(h.contains(c), c);
        assertEquals("stop|s  -- stop emulation\n", run("help stop"));
        assertTrue(run("help x").startsWith("x /fmt addr -- virtual memory dump"));
    }

    @Test
    void waitForFindsWhatTheGuestPrintedSinceTheLastMatchAndSleepWaits() {
        // the guest printed "hello\n" long before these commands: a match looks at the output since the last one
        assertEquals("", run("wait-for \"hel\" 5"));
        assertEquals("", run("wait-for lo 5"), "what follows the previous match is still there");
        assertEquals("wait-for: \"hello\" did not appear within 1 s\n", run("wait-for hello 1"), "consumed by the matches");
        assertEquals("wait-for: \"say \"hi\" \\\\\" did not appear within 1 s\n", run("wait-for \"say \\\"hi\\\" \\\\\\\\\" 1"),
                "a quoted text with escaped quotes and backslashes");
        assertEquals("wait-for: the text to wait for is expected\nTry \"help wait-for\" for more information\n", run("wait-for"));
        assertTrue(run("wait-for \"hel").startsWith("wait-for: the text's closing quote is missing\n"));
        assertTrue(run("wait-for hel 1.5").startsWith("wait-for: invalid timeout: '1.5' (whole seconds)\n"));
        assertTrue(run("sleep").startsWith("sleep: a whole number of milliseconds is expected\n"));
        assertTrue(run("sleep -5").startsWith("sleep: a whole number of milliseconds is expected\n"));
        long t0 = System.nanoTime();
        assertEquals("", run("sleep 200"));
        assertTrue(System.nanoTime() - t0 >= 200_000_000L);
        assertTrue(run("help wait-for").startsWith("wait-for text [seconds] -- wait until the guest's console prints text"));
        assertEquals("sleep ms -- wait ms milliseconds before the next command (for scripts)\n", run("help sleep"));
    }
}
