package org.jvisor.vmm.debug;

import org.jvisor.vmm.devices.ConsoleInput;
import org.jvisor.vmm.devices.Pl011;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** QEMU's -nographic console behaviour (escapes, raw mode, pass-through of pipes) without a real terminal. */
class HostConsoleTest {
    static final int TIMEOUT_S = 10;

    /** What the guest device received: bytes, and breaks as "<BREAK>". */
    static final class Guest implements ConsoleInput {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<String> events = Collections.synchronizedList(new ArrayList<>());

        @Override
        public synchronized void receive(byte[] b, int off, int len) {
            bytes.write(b, off, len);
            events.add(new String(b, off, len, StandardCharsets.ISO_8859_1));
            notifyAll();
        }

        @Override
        public synchronized void receiveBreak() {
            events.add("<BREAK>");
            notifyAll();
        }

        synchronized byte[] awaitBytes(int n) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
            while (bytes.size() < n && System.nanoTime() < end) wait(100);
            return bytes.toByteArray();
        }

        synchronized String joined() { return String.join("", events); }
    }

    /** A terminal that records what is done to it. */
    static final class FakeTerminal implements HostConsole.RawMode {
        final List<String> log = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void enter() { log.add("raw"); }

        @Override
        public void restore() { log.add("restore"); }
    }

    final Guest guest = new Guest();
    final FakeTerminal tty = new FakeTerminal();
    final ByteArrayOutputStream messages = new ByteArrayOutputStream();
    final CountDownLatch quit = new CountDownLatch(1);
    final List<String> actions = Collections.synchronizedList(new ArrayList<>());

    HostConsole terminal(InputStream in) {
        return new HostConsole(in, messages, tty, true, guest, () -> {
            actions.add("quit after " + tty.log);
            quit.countDown();
        }, () -> actions.add("monitor"));
    }

    static InputStream bytes(String s) { return new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1)); }

    @Test
    void ctrlAXRestoresTheTerminalThenQuits() throws Exception {
        try (HostConsole c = terminal(bytes("ab\u0001xcd")).start()) {
            assertTrue(c.isTerminal());
            assertTrue(quit.await(TIMEOUT_S, TimeUnit.SECONDS));
            assertEquals(List.of("quit after [raw, restore]"), actions);
            assertEquals("ab", new String(guest.awaitBytes(2), StandardCharsets.ISO_8859_1));
        }
        assertEquals(List.of("raw", "restore"), tty.log, "restored once, not again by close");
        assertEquals("ab", guest.joined(), "nothing after the quit");
    }

    @Test
    void escapesAreInterpretedOnATerminal() throws Exception {
        String in = "1\u0001\u00012\u0001h3\u0001c4\u0001b5\u0001z6\u0001?7\u0001x8";
        try (HostConsole c = terminal(bytes(in)).start()) {
            assertTrue(quit.await(TIMEOUT_S, TimeUnit.SECONDS));
            guest.awaitBytes(8);
        }
        assertEquals("1\u0001234<BREAK>567", guest.joined(), "C-a C-a gives one C-a, C-a b a break, C-a z nothing");
        assertEquals(List.of("monitor", "quit after [raw, restore]"), actions);
        assertEquals(HostConsole.HELP + HostConsole.HELP, messages.toString(StandardCharsets.UTF_8), "h and ? print the help");
        assertTrue(HostConsole.HELP.contains("C-a x    exit"));
    }

    @Test
    void theMonitorCanTakeTheKeyboardAndGiveItBack() throws Exception {
        Guest monitorInput = new Guest();
        PipedOutputStream typing = new PipedOutputStream();
        HostConsole[] console = new HostConsole[1];
        console[0] = new HostConsole(new PipedInputStream(typing), messages, tty, true, guest, quit::countDown,
                () -> console[0].setInput(monitorInput));
        try (HostConsole c = console[0].start()) {
            typing.write("ab".getBytes(StandardCharsets.ISO_8859_1));
            typing.flush();
            guest.awaitBytes(2);
            typing.write("\u0001cinfo".getBytes(StandardCharsets.ISO_8859_1));
            typing.flush();
            assertEquals("info", new String(monitorInput.awaitBytes(4), StandardCharsets.ISO_8859_1));
            c.setInput(guest);
            typing.write("cd".getBytes(StandardCharsets.ISO_8859_1));
            typing.flush();
            assertEquals("abcd", new String(guest.awaitBytes(4), StandardCharsets.ISO_8859_1));
        }
        typing.close();
    }

    @Test
    void aPipePassesEveryByteUnchangedAndItsEndDoesNotQuit() throws Exception {
        byte[] all = new byte[512];
        for (int i = 0; i < all.length; i++) all[i] = (byte) i;
        all[100] = 0x01;
        all[101] = 'x'; // Ctrl-A x is data on a pipe
        try (HostConsole c = new HostConsole(new ByteArrayInputStream(all), messages, null, false, guest,
                quit::countDown, () -> actions.add("monitor")).start()) {
            assertFalse(c.isTerminal());
            assertArrayEquals(all, guest.awaitBytes(all.length));
        }
        assertEquals(1, quit.getCount(), "end of input does not quit");
        assertEquals(List.of(), actions);
        assertEquals(0, messages.size());
    }

    @Test
    void aPipeIsFedAtTheGuestsPace() throws Exception {
        Pl011 uart = new Pl011(new ByteArrayOutputStream(), l -> {}, 16);
        uart.write(Pl011.LCR_H, 4, 0x70);
        uart.write(Pl011.CR, 4, Pl011.CR_UARTEN | Pl011.CR_RXE);
        byte[] input = new byte[4 * HostConsole.QUEUE_CAPACITY];
        for (int i = 0; i < input.length; i++) input[i] = (byte) (i % 251);
        CountingInput in = new CountingInput(input);
        try (HostConsole c = new HostConsole(in, messages, null, false, uart, quit::countDown, () -> {}).start()) {
            // both threads parked and the queue filled: the reader waits for room, the forwarder for the guest
            while (!(in.consumed() > HostConsole.QUEUE_CAPACITY && parked(c.readerThread()) && parked(c.forwarderThread())))
                Thread.onSpinWait();
            // queued, in the forwarder's hands, in the reader's, on the UART's line and in its FIFO
            int bound = HostConsole.QUEUE_CAPACITY + HostConsole.CHUNK + CountingInput.CHUNK + 16 + Pl011.FIFO_DEPTH;
            assertTrue(in.consumed() <= bound, in.consumed() + " bytes taken from the pipe while the guest reads nothing");
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            while (got.size() < input.length) {
                if ((uart.read(Pl011.FR, 4) & Pl011.FR_RXFE) == 0) got.write((int) uart.read(Pl011.DR, 4));
                else Thread.onSpinWait();
            }
            assertArrayEquals(input, got.toByteArray());
        }
    }

    static boolean parked(Thread t) {
        Thread.State s = t.getState();
        assertTrue(s != Thread.State.TERMINATED, t.getName() + " ended");
        return s == Thread.State.WAITING;
    }

    /** Serves its bytes at most CHUNK at a time and counts what was taken. */
    static final class CountingInput extends InputStream {
        static final int CHUNK = 1000;
        private final byte[] data;
        private volatile int pos;

        CountingInput(byte[] data) { this.data = data; }

        int consumed() { return pos; }

        @Override
        public int read() {
            throw new UnsupportedOperationException();
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos == data.length) return -1;
            int n = Math.min(Math.min(len, CHUNK), data.length - pos);
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    @Test
    void onATerminalCtrlAXWorksWhileTheGuestReadsNothing() throws Exception {
        ConsoleInput stuck = new ConsoleInput() {
            @Override
            public void receive(byte[] b, int off, int len) throws InterruptedException {
                new CountDownLatch(1).await(); // a guest that never reads
            }
        };
        byte[] typed = new byte[3 * HostConsole.QUEUE_CAPACITY + 2];
        java.util.Arrays.fill(typed, (byte) 'y');
        typed[typed.length - 2] = 0x01;
        typed[typed.length - 1] = 'x';
        try (HostConsole c = new HostConsole(new ByteArrayInputStream(typed), messages, tty, true, stuck, quit::countDown, () -> {}).start()) {
            assertTrue(quit.await(TIMEOUT_S, TimeUnit.SECONDS), "keystrokes beyond the queue are dropped, the escape still seen");
        }
        assertEquals(List.of("raw", "restore"), tty.log);
    }

    @Test
    void closeRestoresTheTerminalOnceAndStopsForwarding() throws Exception {
        PipedOutputStream typing = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(typing);
        HostConsole c = terminal(in).start();
        assertEquals(List.of("raw"), tty.log);
        typing.write('a');
        typing.flush();
        assertEquals("a", new String(guest.awaitBytes(1), StandardCharsets.ISO_8859_1));
        c.close();
        c.close();
        assertEquals(List.of("raw", "restore"), tty.log);
        assertThrows(IllegalStateException.class, c::start);
        assertEquals(List.of(), actions);
        typing.close();
    }

    @Test
    void aTerminalThatCannotGoRawIsRestoredAndReported() {
        HostConsole.RawMode broken = new HostConsole.RawMode() {
            @Override
            public void enter() throws IOException {
                tty.log.add("raw failed");
                throw new IOException("no stty");
            }

            @Override
            public void restore() { tty.log.add("restore"); }
        };
        HostConsole c = new HostConsole(bytes(""), messages, broken, true, guest, () -> {}, () -> {});
        assertThrows(IOException.class, c::start);
        assertEquals(List.of("raw failed", "restore"), tty.log);
        c.close();
        assertEquals(List.of("raw failed", "restore"), tty.log);
    }

    /** Surefire's forked JVM reads its commands from a pipe on stdin, never a terminal. */
    @Test
    void sttyFindsNoTerminalOnAPipe() {
        assertNull(HostConsole.Stty.forStdin(false));
        assertNull(HostConsole.Stty.forStdin(true));
    }
}
