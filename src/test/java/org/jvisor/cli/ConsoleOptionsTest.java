package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.Asm;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsQemu;
import org.jvisor.testing.NeedsTools;

/**
 * -serial, -monitor, -nodefaults, -nographic, -display none and -nic none: the same command line given to
 * jvisor and to qemu-system-aarch64 connects the guest's serial port and the monitor the same way.
 */
@NeedsCross
@NeedsQemu
class ConsoleOptionsTest {
    /**
     * Enables the PL011 (UARTEN, TXE, RXE), prints "ready", then echoes each byte it receives as two hex
     * digits and a space (so that control characters show), until it receives 'q': PSCI SYSTEM_OFF.
     */
    static final String ECHO = """
            movz x1, #0x0900, lsl #16
            mov w4, #0x301
            str w4, [x1, #0x30]
            adr x3, msg
        1:  ldrb w5, [x3], #1
            cbz w5, 2f
            str w5, [x1]
            b 1b
        2:  ldr w4, [x1, #0x18]
            tbnz w4, #4, 2b
            ldr w0, [x1]
            and w0, w0, #0xff
            cmp w0, #'q'
            b.eq 4f
            mov w8, #4
        3:  lsr w4, w0, w8
            and w4, w4, #0xf
            cmp w4, #10
            add w5, w4, #'0'
            add w4, w4, #'a' - 10
            csel w4, w5, w4, lo
            str w4, [x1]
            subs w8, w8, #4
            b.pl 3b
            mov w4, #' '
            str w4, [x1]
            b 2b
        4:  movz x0, #0x0008
            movk x0, #0x8400, lsl #16
            hvc #0
            b .
        msg: .asciz "ready\\n"
        """;

    static String[] jvisorArgs(Path kernel, List<String> options) {
        List<String> a = new ArrayList<>(List.of("run", "-kernel", kernel.toString(), "-m", "64M"));
        a.addAll(options);
        return a.toArray(String[]::new);
    }

    @Test
    void theSameOptionsConnectTheSerialPortAsInQemu(@TempDir Path dir) throws Exception {
        Path hello = RunCommandTest.hello(dir);
        String text = "hello from the virt board\n";
        assertEquals(text, RunCommandTest.run(jvisorArgs(hello, List.of())).out(), "the default run");
        Map<List<String>, String> cases = Map.of(
                List.of("-nographic", "-nic", "none"), text,
                List.of("-nodefaults", "-display", "none"), "",
                List.of("-nodefaults", "-display", "none", "-serial", "stdio"), text,
                List.of("-nodefaults", "-display", "none", "-serial", "mon:stdio"), text,
                List.of("-nodefaults", "-display", "none", "-serial", "null"), "",
                List.of("-nographic", "-nic", "none", "-serial", "none", "-monitor", "none"), "",
                List.of("-display", "none", "-net", "none", "-serial", "stdio", "-monitor", "none"), text);
        for (var c : cases.entrySet()) {
            RunCommandTest.Result q = Processes.run(Processes.qemu(hello, c.getKey().toArray(String[]::new)), Map.of(), null);
            assertEquals(0, q.status(), "QEMU " + c.getKey() + ": " + q.err());
            assertEquals(c.getValue(), q.out(), "QEMU " + c.getKey());
            RunCommandTest.Result j = RunCommandTest.run(jvisorArgs(hello, c.getKey()));
            assertEquals(0, j.status(), "jvisor " + c.getKey() + ": " + j.err());
            assertEquals(q.out(), j.out(), "jvisor " + c.getKey());
            assertEquals("", j.err(), "jvisor " + c.getKey());
        }
    }

    /** QEMU's -nographic with -serial none puts the monitor alone on stdio; jvisor's too. */
    @Test
    void withTheSerialPortUnconnectedTheMonitorHasTheTerminal(@TempDir Path dir) throws Exception {
        Path forever = Files.write(dir.resolve("forever.bin"), Asm.assemble(MonitorOptionTest.FOREVER, 0x4008_0000L));
        List<String> options = List.of("-nographic", "-nic", "none", "-serial", "none");
        String script = "info status\nquit\n";
        RunCommandTest.Result q = Processes.run(Processes.qemu(forever, options.toArray(String[]::new)), Map.of(), script);
        RunCommandTest.Result j = MonitorOptionTest.run(script, jvisorArgs(forever, options));
        for (RunCommandTest.Result r : List.of(q, j)) {
            assertEquals(0, r.status(), r.out() + r.err());
            assertTrue(r.out().contains(" monitor - type 'help' for more information"), r.out());
            assertTrue(r.out().contains("VM status: running"), r.out());
        }
    }

    @Test
    void theTerminalIsOnlyOnesUnlessShared(@TempDir Path dir) throws Exception {
        Path hello = RunCommandTest.hello(dir);
        String[] both = {"-nodefaults", "-display", "none", "-serial", "stdio", "-monitor", "stdio"};
        assertNotEquals(0, Processes.run(Processes.qemu(hello, both), Map.of(), null).status(), "QEMU refuses it too");
        String[][] cases = {
            {"-serial stdio and -monitor stdio", "-serial", "stdio", "-monitor", "stdio"},
            {"one serial port", "-serial", "stdio", "-serial", "mon:stdio"},
            {"-serial tcp::4444: expected mon:stdio, stdio or none", "-serial", "tcp::4444"},
            {"-display gtk: jvisor has no display", "-display", "gtk"},
            {"-nic tap: type 'tap' (jvisor has user, through passt, stream and socket)", "-nic", "tap"},
            {"-net user,model=virtio: jvisor takes QEMU's newer spelling", "-net", "none", "-net", "user,model=virtio"},
        };
        for (String[] c : cases) {
            RunCommandTest.Result r = RunCommandTest.run(jvisorArgs(hello, List.of(c).subList(1, c.length)));
            assertEquals(2, r.status(), c[0]);
            assertEquals("", r.out(), c[0]);
            assertTrue(r.err().startsWith("jvisor: ") && r.err().contains(c[0]) && r.err().lines().count() == 1, c[0] + ": " + r.err());
        }
    }

    /**
     * On a terminal: with -serial stdio every key reaches the guest, Ctrl-A too, and Ctrl-C ends the
     * emulator; with -nographic (mon:stdio, jvisor's default) Ctrl-C goes to the guest and Ctrl-A x quits.
     * The guest sees the same keys under jvisor as under QEMU.
     */
    @NeedsTools
    @Test
    void onATerminalTheKeysGoWhereQemuSendsThem(@TempDir Path dir) throws Exception {
        Path echo = Files.write(dir.resolve("echo.bin"), Asm.assemble(ECHO, 0x4008_0000L));
        String[] alone = {"-nodefaults", "-display", "none", "-serial", "stdio"};
        String[] shared = {"-nographic", "-nic", "none"};
        for (boolean qemu : List.of(true, false)) {
            String who = qemu ? "QEMU" : "jvisor";
            try (Processes.Terminal t = new Processes.Terminal(qemu ? Processes.qemu(echo, alone) : Processes.jvisor(echo, alone))) {
                t.await("ready");
                t.type("a\u0001x\u0001c");
                t.await("61 01 78 01 63 ");
                t.type("\u0003");
                int status = t.exitStatus();
                assertEquals(qemu ? 0 : 128 + 2, status, who + " ends on SIGINT (QEMU: 'terminating on signal 2')\n" + t.output());
                assertFalse(t.output().contains(" 03 "), who + ": Ctrl-C reached the guest\n" + t.output());
            }
            try (Processes.Terminal t = new Processes.Terminal(qemu ? Processes.qemu(echo, shared) : Processes.jvisor(echo, shared))) {
                t.await("ready");
                t.type("a\u0003");
                t.await("61 03 ");
                t.type("\u0001x");
                assertEquals(0, t.exitStatus(), who + "\n" + t.output());
                assertFalse(t.output().contains(" 01 "), who + ": Ctrl-A reached the guest\n" + t.output());
            }
        }
    }
}
