package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.BootsLinux;

/**
 * Issue 13's test of exact instruction counting: with the system counter counting retired instructions and
 * the RTC running on it (and no device that brings the host's entropy or timing in), a Linux boot of the
 * default guest to JVISOR-READY prints exactly the same console, every printk timestamp included (one
 * microsecond is 62.5 instructions), interpreted, translated where hot, and translated everywhere. The
 * interpreter is the reference here because it is differential-tested against QEMU instruction by
 * instruction; this shows the translator retires the same instructions at the same points.
 */
@BootsLinux
class TranslatedBootTest {
    record Boot(String console, long pagesTranslated) {}

    /** {@code jvisor run} of the default guest in a new JVM (as a user runs it), with the translator's statistics. */
    private static Boot boot(String mode) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:-UseJumpTables", "--enable-native-access=ALL-UNNAMED",
                "-Djvisor.translate.stats=true", "-cp", System.getProperty("java.class.path"), "org.jvisor.cli.Main",
                "run", "-nodefaults", "-serial", "stdio", "--clock", "instructions", "-rtc", "base=2026-01-01,clock=vm",
                "--translate", mode, "-append", "console=ttyAMA0 readyoff"));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        var err = new java.io.ByteArrayOutputStream();
        Thread drain = Processes.drain(p.getErrorStream(), err);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), mode + ": still running after 600 s");
        drain.join();
        String log = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), mode + ":\n" + out + log);
        assertTrue(out.contains("JVISOR-READY") && out.contains("reboot: Power down"), mode + ":\n" + out);
        Matcher m = Pattern.compile("translator: (\\d+) translations").matcher(log);
        assertTrue(m.find(), mode + ": " + log);
        return new Boot(out, Long.parseLong(m.group(1)));
    }

    @Test
    void aLinuxBootIsTheSameToTheInstructionInterpretedAndTranslated() throws Exception {
        Boot off = boot("off"), on = boot("on"), force = boot("force");
        assertEquals(0, off.pagesTranslated());
        assertTrue(on.pagesTranslated() > 0 && force.pagesTranslated() > on.pagesTranslated(),
                "pages translated: on " + on.pagesTranslated() + ", force " + force.pagesTranslated());
        assertEquals(off.console(), on.console(), "translation on");
        assertEquals(off.console(), force.console(), "translation forced");
    }
}
