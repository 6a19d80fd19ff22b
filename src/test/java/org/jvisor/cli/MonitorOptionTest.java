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

/** {@code jvisor run -monitor stdio} with a script on stdin: the monitor reads it, quit ends the run with 0. */
class MonitorOptionTest {
    /** Counts in X5 forever, silently (the monitor's output is then all there is): only quit ends it. */
    static final String FOREVER = """
        1:  add x5, x5, #1
            b 1b
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
}
