package org.jvisor.vmm.debug;

import org.jvisor.vmm.BoardConfig;
import org.jvisor.vmm.VirtBoard;
import org.jvisor.vmm.VirtBoardTest;
import org.jvisor.vmm.devices.ConsoleInput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.Asm;

/**
 * Ctrl-A c through {@link HostConsole} from a byte stream: the keyboard goes to the monitor (prompt, echo,
 * backspace, CR LF line ends as on a raw terminal) and back to the guest's console, as QEMU's mux does.
 */
class MonitorConsoleTest {
    static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    VirtBoard board;
    final ByteArrayOutputStream screen = new ByteArrayOutputStream();
    final PipedOutputStream keyboard = new PipedOutputStream();
    HostConsole console;
    MonitorConsole monitorConsole;

    @BeforeEach
    void build(@TempDir Path dir) throws Exception {
        Path kernel = Files.write(dir.resolve("count.bin"), Asm.assemble(VirtBoardTest.COUNTERS, 0x4008_0000L));
        BoardConfig config = new BoardConfig(64L << 20, 1, 2, true, List.of(), kernel, null, "", false);
        board = VirtBoard.build(config, new ByteArrayOutputStream(), new PrintStream(new ByteArrayOutputStream()), false);
    }

    @AfterEach
    void close() throws IOException {
        if (console != null) console.close();
        keyboard.close();
        board.close();
    }

    void connect(ConsoleInput guest) throws IOException {
        PipedInputStream in = new PipedInputStream(keyboard, 1 << 16);
        MonitorConsole[] mc = new MonitorConsole[1];
        console = new HostConsole(in, new ByteArrayOutputStream(), new HostConsoleTest.FakeTerminal(), true, guest,
                () -> { }, () -> mc[0].toggle());
        monitorConsole = mc[0] = new MonitorConsole(new Monitor(board), screen, true);
        monitorConsole.attach(console, guest);
        console.start();
    }

    void type(String s) throws IOException {
        keyboard.write(s.getBytes(StandardCharsets.ISO_8859_1));
        keyboard.flush();
    }

    String awaitScreen(String tail) throws InterruptedException {
        long end = System.nanoTime() + TIMEOUT_NS;
        while (!screen.toString(StandardCharsets.UTF_8).endsWith(tail) && System.nanoTime() < end) Thread.sleep(5);
        String s = screen.toString(StandardCharsets.UTF_8);
        assertTrue(s.endsWith(tail), "screen ends with " + tail.replace("\r", "\\r").replace("\n", "\\n") + ": "
                + s.replace("\r", "\\r").replace("\n", "\\n"));
        return s;
    }

    @Test
    void ctrlACSwitchesTheKeyboardToTheMonitorAndBack() throws Exception {
        HostConsoleTest.Guest guest = new HostConsoleTest.Guest();
        connect(guest);
        type("ab");
        assertEquals("ab", new String(guest.awaitBytes(2), StandardCharsets.ISO_8859_1));

        type("\u0001c");
        awaitScreen("\r\n" + MonitorConsole.BANNER + "\r\n(jvisor) ");
        assertTrue(monitorConsole.isActive());
        // Echo, backspace (DEL) erasing on screen, an arrow key ignored, CR running the line.
        type("infx\u007fo st\u001b[Aatus\r");
        awaitScreen("infx\b \bo status\r\nVM status: running\r\n(jvisor) ");
        type("stop\r");
        awaitScreen("stop\r\n(jvisor) ");
        assertTrue(board.isPaused());
        type("bogus\r");
        awaitScreen("bogus\r\nunknown command: 'bogus'\r\n(jvisor) ");
        type("half a line\u0015");
        awaitScreen("half a line\r\n(jvisor) ");

        type("\u0001c");
        awaitScreen("(jvisor) \r\n");
        assertFalse(monitorConsole.isActive());
        type("cd");
        assertEquals("abcd", new String(guest.awaitBytes(4), StandardCharsets.ISO_8859_1), "the guest had none of the monitor's keys");

        // Back in; "cont" resumes the VM and, on a terminal, gives the keyboard back to the guest.
        type("\u0001c");
        awaitScreen("\r\n(jvisor) ");
        type("cont\r");
        awaitScreen("cont\r\n");
        long end = System.nanoTime() + TIMEOUT_NS;
        while (monitorConsole.isActive() && System.nanoTime() < end) Thread.sleep(5);
        assertFalse(monitorConsole.isActive());
        assertFalse(board.isPaused());
        type("e");
        assertEquals("abcde", new String(guest.awaitBytes(5), StandardCharsets.ISO_8859_1));
        assertFalse(screen.toString(StandardCharsets.UTF_8).contains(MonitorConsole.BANNER + "\r\n" + MonitorConsole.BANNER),
                "the banner once");
    }

    /** A guest that never reads holds the console's forwarder; Ctrl-A c must still reach the monitor. */
    @Test
    void theMonitorAnswersWhileTheGuestReadsNothing() throws Exception {
        CountDownLatch blocked = new CountDownLatch(1);
        ConsoleInput stuck = (bytes, offset, length) -> {
            blocked.countDown();
            new CountDownLatch(1).await(); // a full receive line: until interrupted
        };
        connect(stuck);
        type("x");
        assertTrue(blocked.await(10, TimeUnit.SECONDS));
        type("\u0001cinfo status\r");
        awaitScreen("info status\r\nVM status: running\r\n(jvisor) ");
    }

    /** From a pipe (-monitor stdio with a script): LF line ends, the keyboard stays with the monitor after cont. */
    @Test
    void fromAPipeLinesEndWithLfAndContKeepsTheMonitor() throws Exception {
        HostConsoleTest.Guest guest = new HostConsoleTest.Guest();
        PipedInputStream in = new PipedInputStream(keyboard, 1 << 16);
        console = new HostConsole(in, new ByteArrayOutputStream(), null, false, guest, () -> { }, () -> { });
        monitorConsole = new MonitorConsole(new Monitor(board), screen, false);
        monitorConsole.attach(console, guest);
        monitorConsole.enter();
        console.start();
        awaitScreen(MonitorConsole.BANNER + "\n(jvisor) ");
        type("stop\r\ncont\ninfo status\n\u0001c");
        awaitScreen("info status\nVM status: running\n(jvisor) c");
        assertTrue(monitorConsole.isActive());
        assertEquals(0, guest.bytes.size());
    }
}
