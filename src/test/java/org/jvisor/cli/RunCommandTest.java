package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.Asm;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsDtc;

/** {@code jvisor run} end to end with a bare-metal guest, and its answers to bad input. */
@NeedsCross
class RunCommandTest {
    /** A raw binary (loaded at RAM + 0x80000, as QEMU loads one): prints on the PL011, then PSCI SYSTEM_OFF. */
    static final String HELLO = """
            adr x1, msg
            movz x2, #0x0900, lsl #16
        1:  ldrb w3, [x1], #1
            cbz w3, 3f
        2:  ldr w4, [x2, #0x18]
            tbnz w4, #5, 2b
            str w3, [x2]
            b 1b
        3:  movz x0, #0x0008
            movk x0, #0x8400, lsl #16
            hvc #0
            b .
        msg: .asciz "hello from the virt board\\n"
            """;

    /**
     * The virtual timer's interrupt through a GICv2, taken out of WFI: arms CNTV for 1 ms, waits, and in
     * the IRQ handler acknowledges INTID 27, prints "tick <intid>", and powers off.
     */
    static final String TIMER = """
            adr x0, vectors
            msr vbar_el1, x0
            movz x1, #0x0800, lsl #16          // GICD
            mov w2, #1
            str w2, [x1]                       // GICD_CTLR: forward group 0
            mov w2, #(1 << 27)
            str w2, [x1, #0x100]               // GICD_ISENABLER0: PPI 27
            movz x3, #0x0801, lsl #16          // GICC
            mov w2, #0xff
            str w2, [x3, #4]                   // GICC_PMR
            mov w2, #1
            str w2, [x3]                       // GICC_CTLR
            movz x2, #62500 & 0xffff
            movk x2, #62500 >> 16, lsl #16
            msr cntv_tval_el0, x2
            mov x2, #1
            msr cntv_ctl_el0, x2
            isb
            msr daifclr, #2
        1:  wfi
            b 1b
            .balign 2048
        vectors:
            .skip 0x280
            ldr w5, [x3, #0x0c]                // GICC_IAR
            msr cntv_ctl_el0, xzr
            str w5, [x3, #0x10]                // GICC_EOIR
            adr x1, msg
            movz x2, #0x0900, lsl #16
        2:  ldrb w4, [x1], #1
            cbz w4, 3f
            str w4, [x2]
            b 2b
        3:  add w4, w5, #'0' - 20
            str w4, [x2]
            mov w4, #10
            str w4, [x2]
            movz x0, #0x0008
            movk x0, #0x8400, lsl #16
            hvc #0
        msg: .asciz "tick 2"
            """;

    /**
     * Counts its boots in a RAM word the loader does not overwrite (RAM survives a reset, as on the
     * board), prints "boot N", and asks for a reset (PSCI SYSTEM_RESET) until the third boot, which powers off.
     */
    static final String REBOOT = """
            movz x1, #0x4100, lsl #16
            ldr w2, [x1]
            add w2, w2, #1
            str w2, [x1]
            movz x3, #0x0900, lsl #16
            adr x4, msg
        1:  ldrb w5, [x4], #1
            cbz w5, 2f
            str w5, [x3]
            b 1b
        2:  add w5, w2, #'0'
            str w5, [x3]
            mov w5, #10
            str w5, [x3]
            movz x0, #0x0009                   // SYSTEM_RESET
            cmp w2, #3
            b.lo 3f
            movz x0, #0x0008                   // SYSTEM_OFF
        3:  movk x0, #0x8400, lsl #16
            hvc #0
            b .
        msg: .asciz "boot "
            """;

    /**
     * Arms the virtual timer 100,000 ticks ahead and spins (no WFI); the IRQ handler prints, in hex,
     * how many ticks after CNTV_CVAL it ran (CNTVCT - CVAL), then powers off.
     */
    static final String LATENCY = """
            adr x0, vectors
            msr vbar_el1, x0
            movz x1, #0x0800, lsl #16
            mov w2, #1
            str w2, [x1]
            mov w2, #(1 << 27)
            str w2, [x1, #0x100]
            movz x3, #0x0801, lsl #16
            mov w2, #0xff
            str w2, [x3, #4]
            mov w2, #1
            str w2, [x3]
            mrs x2, cntvct_el0
            movz x4, #100000 & 0xffff
            movk x4, #100000 >> 16, lsl #16
            add x2, x2, x4
            msr cntv_cval_el0, x2
            mov x2, #1
            msr cntv_ctl_el0, x2
            isb
            msr daifclr, #2
        1:  add x9, x9, #1
            b 1b
            .balign 2048
        vectors:
            .skip 0x280
            mrs x6, cntvct_el0
            mrs x7, cntv_cval_el0
            sub x6, x6, x7
            msr cntv_ctl_el0, xzr
            movz x2, #0x0900, lsl #16
            mov x8, #28
        2:  lsr x4, x6, x8
            and x4, x4, #0xf
            cmp x4, #10
            add x5, x4, #'0'
            add x4, x4, #'a' - 10
            csel x4, x5, x4, lo
            str w4, [x2]
            subs x8, x8, #4
            b.pl 2b
            mov w4, #10
            str w4, [x2]
            movz x0, #0x0008
            movk x0, #0x8400, lsl #16
            hvc #0
            """;

    record Result(int status, String out, String err) {}

    static Result run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            System.setIn(new ByteArrayInputStream(new byte[0]));
            int status = Main.execute(args);
            return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            System.setIn(oldIn);
        }
    }

    static Path hello(Path dir) throws Exception {
        Path p = dir.resolve("hello.bin");
        Files.write(p, Asm.assemble(HELLO, 0x4008_0000L));
        return p;
    }

    @Test
    void bootsARawBinaryThatPrintsAndPowersOff(@TempDir Path dir) throws Exception {
        for (String gic : List.of("2", "3")) {
            Result r = run("run", "-kernel", hello(dir).toString(), "-M", "virt,gic-version=" + gic, "-smp", "2", "-m", "64M");
            assertEquals("hello from the virt board\n", r.out(), r.err());
            assertEquals(0, r.status(), r.err());
            assertEquals("", r.err());
        }
    }

    /** -gdb tcp::0 listens on a free loopback port and says which; without a client the guest just runs. */
    @Test
    void gdbStubListensOnTheLoopbackAndTheGuestRunsWithoutAClient(@TempDir Path dir) throws Exception {
        Result r = run("run", "-kernel", hello(dir).toString(), "-m", "64M", "-gdb", "tcp::0");
        assertEquals("hello from the virt board\n", r.out(), r.err());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().startsWith("jvisor: gdbstub listening on 127.0.0.1:"), r.err());
        assertEquals(1, r.err().strip().split("\n").length, "no warning for the loopback: " + r.err());
        // Any other address: a warning that the guest is open to whoever reaches the port.
        Result any = run("run", "-kernel", hello(dir).toString(), "-m", "64M", "-gdb", "tcp:0.0.0.0:0");
        assertEquals(0, any.status(), any.err());
        String[] lines = any.err().strip().split("\n");
        assertEquals(2, lines.length, any.err());
        assertTrue(lines[0].startsWith("jvisor: gdbstub listening on 0.0.0.0:"), any.err());
        assertTrue(lines[1].startsWith("jvisor: warning: the GDB stub is not on the loopback: anyone who can reach 0.0.0.0:")
                && lines[1].contains("can read and write the guest's memory and registers"), any.err());
        Result bad = run("run", "-kernel", hello(dir).toString(), "-m", "64M", "-gdb", "tcp::99999");
        assertTrue(bad.status() != 0, bad.err());
        assertTrue(bad.err().contains("-gdb tcp::99999"), bad.err());
    }

    @Test
    void timerInterruptWakesAWfiWithEitherClock(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("timer.bin");
        Files.write(p, Asm.assemble(TIMER, 0x4008_0000L));
        for (String clock : List.of("host", "instructions")) {
            Result r = run("run", "-kernel", p.toString(), "-m", "64M", "--clock", clock);
            assertEquals("tick 27\n", r.out(), clock + ": " + r.err());
            assertEquals(0, r.status(), r.err());
        }
    }

    /**
     * With the counter counting instructions the latency is exact and repeatable: the processor polls
     * the timer between chunks of at most 4,096 instructions, so the interrupt comes within a chunk of
     * the deadline, far inside the millisecond (62,500 ticks) the board promises.
     */
    @Test
    void aTimerInterruptArrivesWithinAChunkOfItsDeadline(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("latency.bin");
        Files.write(p, Asm.assemble(LATENCY, 0x4008_0000L));
        Result first = run("run", "-kernel", p.toString(), "-m", "64M", "--clock", "instructions");
        assertEquals(0, first.status(), first.err());
        long ticks = Long.parseLong(first.out().strip(), 16);
        assertTrue(ticks >= 0 && ticks <= 4096, "interrupt " + ticks + " ticks after the deadline");
        assertEquals(first.out(), run("run", "-kernel", p.toString(), "-m", "64M", "--clock", "instructions").out(), "repeatable");
    }

    @Test
    void aResetEndsTheRunUnlessTheBoardRestarts(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("reboot.bin");
        Files.write(p, Asm.assemble(REBOOT, 0x4008_0000L));
        Result once = run("run", "-kernel", p.toString(), "-m", "64M", "-smp", "2");
        assertEquals("boot 1\n", once.out(), once.err());
        assertEquals(0, once.status());
        Result restarted = run("run", "-kernel", p.toString(), "-m", "64M", "-smp", "2", "--on-reboot", "restart");
        assertEquals("boot 1\nboot 2\nboot 3\n", restarted.out(), restarted.err());
        assertEquals(0, restarted.status());
    }

    @NeedsDtc
    @Test
    void dumpsTheDeviceTreeDtcReads(@TempDir Path dir) throws Exception {
        Path dtb = dir.resolve("virt.dtb");
        Result r = run("run", "-kernel", hello(dir).toString(), "-smp", "2", "-append", "console=ttyAMA0", "--dump-dtb", dtb.toString());
        assertEquals(0, r.status(), r.err());
        Process p = new ProcessBuilder("dtc", "-I", "dtb", "-O", "dts", dtb.toString()).redirectErrorStream(true).start();
        String dts = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), dts);
        assertTrue(dts.contains("bootargs = \"console=ttyAMA0\""), dts);
        assertTrue(dts.contains("cpu@1"), dts);
        assertTrue(dts.contains("arm,pl011"), dts);
    }

    /** Bad input: one line naming the problem, a non-zero status, no stack trace. */
    @Test
    void badInputGetsOneClearLine(@TempDir Path dir) throws Exception {
        Path kernel = hello(dir).toAbsolutePath();
        Path x86 = dir.resolve("bzImage");
        byte[] bz = new byte[0x400];
        bz[0x202] = 'H';
        bz[0x203] = 'd';
        bz[0x204] = 'r';
        bz[0x205] = 'S';
        Files.write(x86, bz);
        Path big = dir.resolve("big.initrd");
        try (var f = java.nio.channels.FileChannel.open(big, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            f.write(java.nio.ByteBuffer.wrap(new byte[1]), 80L << 20);
        }
        String[][] cases = {
            {"does not exist", "run", "-kernel", dir.resolve("nope").toString()},
            {"x86 bzImage", "run", "-kernel", x86.toString()},
            {"does not fit", "run", "-kernel", kernel.toString(), "-m", "64M", "-initrd", big.toString()},
            {"at least 16 MiB", "run", "-kernel", kernel.toString(), "-m", "1M"},
            {"not a size", "run", "-kernel", kernel.toString(), "-m", "lots"},
            {"Unknown option", "run", "-kernel", kernel.toString(), "--frobnicate"},
            {"gic-version=4", "run", "-kernel", kernel.toString(), "-M", "virt,gic-version=4"},
            {"virtualization=maybe", "run", "-kernel", kernel.toString(), "-M", "virt,virtualization=maybe"},
            {"no hide/seek device in this mode", "run", "-kernel", kernel.toString(), "-M", "virt,virtualization=on,hide-seek=on"},
            {"one or the other", "run", "-kernel", kernel.toString(), "-M", "virt,virtualization=on,trap-and-emulate=on"},
            {"runs one vCPU", "run", "-kernel", kernel.toString(), "-M", "virt,trap-and-emulate=on", "-smp", "2"},
            {"trap-and-emulate=maybe", "run", "-kernel", kernel.toString(), "-M", "virt,trap-and-emulate=maybe"},
            {"only board", "run", "-kernel", kernel.toString(), "-M", "raspi3b"},
            {"1 to 8 vCPUs", "run", "-kernel", kernel.toString(), "-smp", "0"},
            {"does not exist", "run", "-kernel", kernel.toString(), "-drive", "file=" + dir.resolve("none.img") + ",format=raw,if=virtio"},
            {"only format=raw", "run", "-kernel", kernel.toString(), "-drive", "file=" + kernel + ",format=qcow2"},
            {"-initrd without -kernel", "run", "-initrd", kernel.toString()},
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            Result r = run(args);
            assertTrue(r.status() != 0, String.join(" ", args) + ": status " + r.status());
            assertEquals("", r.out(), String.join(" ", args));
            String[] lines = r.err().strip().split("\n");
            assertEquals(1, lines.length, String.join(" ", args) + ":\n" + r.err());
            assertTrue(lines[0].startsWith("jvisor: ") && lines[0].contains(c[0]), String.join(" ", args) + ": " + lines[0]);
        }
    }

    /** Without -kernel, run boots the default guest; where apt is missing that is DefaultGuest's one message and status 2. */
    @Test
    void noKernelWithoutAptSaysWhatToDo(@org.junit.jupiter.api.io.TempDir Path cache) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "org.jvisor.cli.Main", "run")
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("PATH", cache.resolve("no-such-dir").toString());
        pb.environment().put("XDG_CACHE_HOME", cache.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, p.waitFor(), out + err);
        assertEquals("", out);
        String[] lines = err.strip().split("\n");
        assertEquals(1, lines.length, err);
        assertTrue(lines[0].startsWith("jvisor: ") && lines[0].contains("apt-get") && lines[0].contains("-kernel"), err);
    }
}
