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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.Asm;
import org.jvisor.testing.NeedsCross;

/** {@code jvisor run -monitor stdio} with a script on stdin: the monitor reads it, quit ends the run with 0. */
@NeedsCross
class MonitorOptionTest {
    /** Counts in X5 forever, silently (the monitor's output is then all there is): only quit ends it. */
    static final String FOREVER = """
        1:  add x5, x5, #1
            b 1b
            """;

    /** Waits half a second by the virtual counter, prints GUEST-MARKER on the PL011 (polling UARTFR), then counts forever. */
    static final String LATE_MARKER = """
            mrs x1, cntfrq_el0
            mrs x2, cntvct_el0
            add x2, x2, x1, lsr #1
        1:  mrs x3, cntvct_el0
            cmp x3, x2
            b.lo 1b
            adr x1, marker
            movz x2, #0x0900, lsl #16
        2:  ldrb w3, [x1], #1
            cbz w3, 4f
        3:  ldr w4, [x2, #0x18]
            tbnz w4, #5, 3b
            str w3, [x2]
            b 2b
        4:  add x5, x5, #1
            b 4b
        marker: .asciz "GUEST-MARKER\\n"
            """;

    static RunCommandTest.Result run(String stdin, String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            int status = Main.execute(args);
            return new RunCommandTest.Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            System.setIn(oldIn);
        }
    }

    @Test
    void aScriptOnStdinDrivesTheMonitorAndQuitEndsTheRun(@TempDir Path dir) throws Exception {
        Path p = Files.write(dir.resolve("forever.bin"), Asm.assemble(FOREVER, 0x4008_0000L));
        RunCommandTest.Result r = run("stop\ninfo status\ncont\ninfo status\nquit\n", "run", "-kernel", p.toString(), "-m", "64M",
                "-monitor", "stdio");
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err());
        String out = r.out();
        assertEquals("jvisor monitor - type 'help' for more information\n(jvisor) stop\n(jvisor) info status\nVM status: paused\n(jvisor) cont\n(jvisor) info status\n"
                + "VM status: running\n(jvisor) quit\n", out);
    }

    @Test
    void monitorNoneAndBadValues(@TempDir Path dir) throws Exception {
        Path hello = RunCommandTest.hello(dir);
        RunCommandTest.Result none = run("", "run", "-kernel", hello.toString(), "-m", "64M", "-monitor", "none");
        assertEquals(0, none.status(), none.err());
        assertEquals("hello from the virt board\n", none.out());
        RunCommandTest.Result bad = run("", "run", "-kernel", hello.toString(), "-m", "64M", "-monitor", "telnet::4444");
        assertTrue(bad.status() != 0);
        assertEquals("jvisor: -monitor telnet::4444: expected stdio or none\n", bad.err());
    }

    @Test
    void waitForHoldsTheScriptUntilTheGuestPrints(@TempDir Path dir) throws Exception {
        Path p = Files.write(dir.resolve("late.bin"), Asm.assemble(LATE_MARKER, 0x4008_0000L));
        RunCommandTest.Result r = run("wait-for GUEST-MARKER\ninfo traps\nquit\n", "run", "-kernel", p.toString(), "-m", "64M",
                "-monitor", "stdio");
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err());
        // the marker came out before the next command ran, and info traps counts all its characters: per
        // character a UARTFR read and a UARTDR write (two IO traps), the line end's maybe too (the guest goes
        // on while the monitor answers); the one page of code: one MEM trap
        String out = r.out();
        int m = out.indexOf("GUEST-MARKER"), traps = out.indexOf("(jvisor) info traps\n");
        assertTrue(m >= 0 && traps > m, out);
        assertTrue(out.startsWith("jvisor monitor - type 'help' for more information\n(jvisor) wait-for GUEST-MARKER\n"), out);
        java.util.regex.Matcher io = java.util.regex.Pattern.compile("\nvCPU 0: CPU 0  MEM 1  IO (\\d+)  exits ").matcher(out.substring(traps));
        assertTrue(io.find(), out);
        int n = Integer.parseInt(io.group(1)), chars = "GUEST-MARKER".length();
        assertTrue(n >= 2 * chars && n <= 2 * (chars + 1), out);
        assertTrue(out.endsWith("(jvisor) quit\n"), out);
    }

    @Test
    void waitForGivesUpAfterItsTimeoutWithOneLine(@TempDir Path dir) throws Exception {
        Path p = Files.write(dir.resolve("forever.bin"), Asm.assemble(FOREVER, 0x4008_0000L));
        long t0 = System.nanoTime();
        RunCommandTest.Result r = run("wait-for NEVER-PRINTED 1\ninfo status\nquit\n", "run", "-kernel", p.toString(), "-m", "64M",
                "-monitor", "stdio");
        assertTrue(System.nanoTime() - t0 >= 1_000_000_000L);
        assertEquals(0, r.status(), r.err());
        assertEquals("jvisor monitor - type 'help' for more information\n(jvisor) wait-for NEVER-PRINTED 1\n"
                + "wait-for: \"NEVER-PRINTED\" did not appear within 1 s\n(jvisor) info status\nVM status: running\n(jvisor) quit\n", r.out());
    }
}
