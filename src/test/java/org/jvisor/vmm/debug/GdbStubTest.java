package org.jvisor.vmm.debug;

import org.jvisor.vmm.BoardConfig;
import org.jvisor.vmm.VirtBoard;
import org.jvisor.vmm.VirtBoardTest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.Asm;
import org.jvisor.hyp.Vcpu;

/**
 * The GDB stub driven by Debian's gdb-multiarch in batch mode against a bare-metal program that enables
 * its MMU (src/test/resources/gdb/mmu.S), and by hand with hostile packets.
 */
public class GdbStubTest {
    record Program(Path elf, Path bin, Map<String, Long> symbols) {}

    static Program program(Path dir) throws Exception {
        Path src = Path.of("src/test/resources/gdb/mmu.S");
        Path elf = Asm.linkElf(src, List.of("-Ttext=0x40080000", "-e", "_start"));
        Path bin = dir.resolve("mmu.bin");
        exec(List.of("aarch64-linux-gnu-objcopy", "-O", "binary", elf.toString(), bin.toString()));
        Map<String, Long> syms = new HashMap<>();
        for (String line : exec(List.of("aarch64-linux-gnu-nm", elf.toString())).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3) syms.put(f[2], Long.parseUnsignedLong(f[0], 16));
        }
        return new Program(elf, bin, syms);
    }

    static String exec(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), cmd + ": " + out);
        return out;
    }

    /** A board with 2 vCPUs whose run happens on a thread, started stopped (-S), with a stub on a free port. */
    public static final class Running implements AutoCloseable {
        public final VirtBoard board;
        public final GdbStub stub;
        final Thread runner;
        final int[] status = {-1};

        public Running(Path kernel) throws Exception {
            BoardConfig config = new BoardConfig(64L << 20, 2, 3, true, List.of(), kernel, null, "", false);
            board = VirtBoard.build(config, new ByteArrayOutputStream(), new PrintStream(new ByteArrayOutputStream(), true), false);
            stub = GdbStub.listen(board, null, 0, System.err);
            board.requestPause();
            runner = Thread.ofPlatform().start(() -> {
                try {
                    status[0] = board.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }

        int awaitEnd() throws InterruptedException {
            runner.join(30_000);
            return runner.isAlive() ? -1 : status[0];
        }

        @Override
        public void close() throws Exception {
            board.stop(0);
            board.resume();
            runner.join(10_000);
            stub.close();
            board.close();
        }
    }

    public static String gdb(Path dir, int port, String script) throws Exception {
        return gdbRaw(dir, "set pagination off\nset confirm off\nset width 0\ntarget remote 127.0.0.1:" + port + "\n" + script);
    }

    /** Runs gdb-multiarch in batch mode on {@code script}; its output. */
    public static String gdbRaw(Path dir, String script) throws Exception {
        Path f = dir.resolve("script.gdb");
        Files.writeString(f, script);
        Process p = new ProcessBuilder("gdb-multiarch", "-nx", "-batch", "-x", f.toString()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test
    void gdbBreaksBeforeAndAfterTheMmuIsOnStepsWatchesAndReads(@TempDir Path dir) throws Exception {
        Program prog = program(dir);
        Map<String, Long> s = prog.symbols();
        long alias = 0x4000_0000L;
        String script = """
                file %1$s
                break before_mmu
                continue
                info threads
                print/x $pc
                print/x $SCTLR_EL1
                break enable_mmu
                continue
                stepi
                echo after-step:\\n
                print/x $pc
                print/x $SCTLR_EL1 & 1
                break *0x%2$x
                continue
                echo at-virtual:\\n
                print/x $pc
                x/2wx 0x%2$x
                x/2wx 0x%3$x
                print/x *(long *)0x%4$x
                delete
                watch *(long *)0x%4$x
                continue
                continue
                print/x $x4
                delete
                maintenance packet Qqemu.PhyMemMode:1
                x/2wx 0x%3$x
                maintenance packet Qqemu.PhyMemMode:0
                thread 2
                print/x $pc
                monitor info traps
                monitor info stage2 0x%5$x
                kill
                """.formatted(prog.elf(), s.get("virt_entry") + alias, s.get("virt_entry"), s.get("counter") + alias, s.get("counter"));
        try (Running r = new Running(prog.bin())) {
            r.stub.setMonitor(new Monitor(r.board)::execute);
            String out = gdb(dir, r.stub.port(), script);
            assertTrue(out.contains("Breakpoint 1, 0x%016x in before_mmu".formatted(s.get("before_mmu"))), out);
            // info threads: both vCPUs, thread 1 current at the breakpoint
            assertTrue(out.contains("* 1    Thread 1"), out);
            assertTrue(out.contains("  2    Thread 2"), out);
            assertTrue(out.contains("= 0x" + Long.toHexString(s.get("before_mmu"))), out);
            // the step over the MSR that enables the MMU ends at the next instruction, with SCTLR_EL1.M set
            int step = out.indexOf("after-step:");
            assertTrue(step > 0, out);
            String afterStep = out.substring(step);
            assertTrue(afterStep.contains("= 0x" + Long.toHexString(s.get("after_enable"))), out);
            assertTrue(afterStep.contains("= 0x1"), out);
            // the breakpoint at a virtual address only the page tables give
            String atVirtual = out.substring(out.indexOf("at-virtual:"));
            assertTrue(atVirtual.contains("= 0x" + Long.toHexString(s.get("virt_entry") + alias)), out);
            // the same code read through the alias (virtual) and at its physical address
            String wordsVa = "0x%x:".formatted(s.get("virt_entry") + alias);
            String wordsPa = "0x%x".formatted(s.get("virt_entry"));
            int iva = atVirtual.indexOf(wordsVa), ipa = atVirtual.indexOf(wordsPa + " <virt_entry>:");
            assertTrue(iva > 0 && ipa > 0, out);
            String codeVa = atVirtual.substring(iva + wordsVa.length(), atVirtual.indexOf('\n', iva)).trim();
            String codePa = atVirtual.substring(atVirtual.indexOf(':', ipa) + 1, atVirtual.indexOf('\n', ipa)).trim();
            assertEquals(codePa, codeVa, out);
            // the watchpoint: two stores of the loop, old and new values
            assertTrue(out.contains("Old value = 0x0") || out.contains("Old value = 0"), out);
            assertTrue(out.contains("New value = 1"), out);
            assertTrue(out.contains("Old value = 1") && out.contains("New value = 2"), out);
            assertTrue(out.contains("= 0x2"), out); // X4 after the second store
            // monitor commands reach the board's monitor: the trap counters (the PSCI calls were HVCs), a stage-2 descriptor
            assertTrue(out.contains("vCPU 0: CPU ") && out.contains("  HVC64        0x16 "), out);
            assertTrue(out.contains("IPA 0x%016x (vCPU 0, stage-2 view 0".formatted(s.get("counter"))), out);
            assertTrue(out.contains("[Switching to thread 2"), out);
            assertEquals(0, r.awaitEnd(), out);
        }
    }

    // ---- by hand: the packet layer and hostile clients ---------------------------------------------------

    static String frame(String payload) {
        int sum = 0;
        for (char c : payload.toCharArray()) sum += c;
        return "$" + payload + "#" + String.format("%02x", sum & 0xff);
    }

    /** Reads until a whole packet ($...#xx) arrived; returns its payload; acks and noise before it skipped. */
    static String readPacket(InputStream in) throws IOException {
        int b;
        while ((b = in.read()) != '$') if (b < 0) throw new IOException("closed");
        StringBuilder sb = new StringBuilder();
        while ((b = in.read()) != '#') {
            if (b < 0) throw new IOException("closed");
            sb.append((char) b);
        }
        in.read();
        in.read();
        return sb.toString();
    }

    @Test
    void packetLayerRefusesBadChecksumsHugeAndTruncatedPackets() throws Exception {
        String input = "noise" + "$g#00" // bad checksum
                + "$" + "A".repeat(GdbPacket.MAX_PAYLOAD + 100) + "#00" // too long: dropped
                + "$m1234" // truncated by the next '$'
                + frame("qC") + "\u0003" + frame("X10,2:}\u0003}]") + "$m0,1#zz" + frame("?") + "$?#3";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GdbPacket link = new GdbPacket(new java.io.ByteArrayInputStream(input.getBytes(StandardCharsets.ISO_8859_1)), out);
        assertEquals("qC", ((GdbPacket.Packet) link.read()).text());
        assertTrue(link.read() instanceof GdbPacket.Interrupt);
        byte[] x = ((GdbPacket.Packet) link.read()).data();
        assertEquals("X10,2:#}", new String(x, StandardCharsets.ISO_8859_1)); // '}' escapes: 0x03^0x20 = '#', ']'^0x20 = '}'
        assertEquals("?", ((GdbPacket.Packet) link.read()).text());
        assertThrowsEof(link);
        // bad checksum, too long, truncated: refused; then '+' for the good ones, '-' for the bad hex digits
        assertEquals("---++-+", out.toString(StandardCharsets.ISO_8859_1));
    }

    /** The connection's bytes, counting the calls that fetch them. */
    static final class CountingInput extends java.io.ByteArrayInputStream {
        int calls;

        CountingInput(byte[] b) { super(b); }

        @Override
        public synchronized int read() {
            calls++;
            return super.read();
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) {
            calls++;
            return super.read(b, off, len);
        }
    }

    /**
     * A 10 MB packet of junk is read a buffer at a time (a socket's read is a system call), refused with
     * one '-' without being kept, and the next packet is served.
     */
    @Test
    void aHugeJunkPacketIsReadInBulkAndShed() throws Exception {
        int junk = 10 << 20;
        byte[] input = ("$" + "J".repeat(junk) + "#00" + frame("qC")).getBytes(StandardCharsets.ISO_8859_1);
        CountingInput in = new CountingInput(input);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GdbPacket link = new GdbPacket(in, out);
        assertEquals("qC", ((GdbPacket.Packet) link.read()).text());
        assertEquals("-+", out.toString(StandardCharsets.ISO_8859_1));
        assertTrue(in.calls <= input.length / GdbPacket.BUFFER + 2, in.calls + " reads for " + input.length + " bytes");
    }

    private static void assertThrowsEof(GdbPacket link) {
        try {
            link.read();
        } catch (java.io.EOFException e) {
            return;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected the end of the stream");
    }

    @Test
    void repliesAreEscapedAndChecksummed() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GdbPacket link = new GdbPacket(new java.io.ByteArrayInputStream("-".getBytes()), out);
        link.send("a#b$c}d*e");
        String f = out.toString(StandardCharsets.ISO_8859_1);
        assertEquals("$a}\u0003b}\u0004c}]d}\ne#", f.substring(0, f.length() - 2));
        int sum = 0;
        for (char c : f.substring(1, f.length() - 3).toCharArray()) sum += c;
        assertEquals(String.format("%02x", sum & 0xff), f.substring(f.length() - 2));
        // a '-' from the client: the same frame again
        try {
            link.read();
        } catch (java.io.EOFException e) {
            // end of input after the '-'
        }
        assertEquals(f + f, out.toString(StandardCharsets.ISO_8859_1));
    }

    /**
     * While a client is connected, others are closed at once (each would get the connection's end within
     * the 1.5 s read timeout; the stub used to hold its accept loop 2 s for each), and the first client,
     * after a 10 MB junk packet, is still served.
     */
    @Test
    void extraClientsAreRefusedAtOnceAndTheFirstStaysServed(@TempDir Path dir) throws Exception {
        Path kernel = Files.write(dir.resolve("count.bin"), Asm.assemble(VirtBoardTest.COUNTERS, 0x4008_0000L));
        try (Running r = new Running(kernel); Socket first = new Socket("127.0.0.1", r.stub.port())) {
            first.setSoTimeout(20_000);
            OutputStream o = first.getOutputStream();
            InputStream in = first.getInputStream();
            o.write(frame("?").getBytes(StandardCharsets.ISO_8859_1));
            o.flush();
            assertTrue(readPacket(in).startsWith("T05thread:"));
            for (int i = 0; i < 10; i++) {
                try (Socket extra = new Socket("127.0.0.1", r.stub.port())) {
                    extra.setSoTimeout(1500);
                    extra.getOutputStream().write(frame("?").getBytes(StandardCharsets.ISO_8859_1));
                    assertEquals(-1, extra.getInputStream().read(), "extra client " + i + " is closed, unanswered");
                }
            }
            Thread sender = Thread.ofPlatform().start(() -> {
                try {
                    o.write('$');
                    byte[] chunk = "J".repeat(1 << 16).getBytes(StandardCharsets.ISO_8859_1);
                    for (int i = 0; i < 160; i++) o.write(chunk);
                    o.write(("#00" + frame("m40080000,10")).getBytes(StandardCharsets.ISO_8859_1));
                    o.flush();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertEquals(32, readPacket(in).length(), "the packet after the junk is answered");
            sender.join();
        }
    }

    /**
     * A client that sends garbage, huge lengths, unknown packets and vanishes mid-packet, while the guest
     * runs and while it is stopped: the VM goes on as it was (running, or stopped) and answers the next client.
     */
    @Test
    void hostileClientsLeaveTheVmAsItWas(@TempDir Path dir) throws Exception {
        Path kernel = Files.write(dir.resolve("count.bin"), Asm.assemble(VirtBoardTest.COUNTERS, 0x4008_0000L));
        try (Running r = new Running(kernel)) {
            Vcpu v0 = r.board.vcpus().get(0);
            try (Socket c = new Socket("127.0.0.1", r.stub.port())) {
                c.setSoTimeout(20_000);
                OutputStream o = c.getOutputStream();
                InputStream in = c.getInputStream();
                String[] hostile = {"m0,ffffffffffffffff", "m40080000,99999999999999999999", "M40080000,ffffffff:00", "mzz,zz",
                        "p999", "P21=00", "G00", "Z0,zz", "Z2,40080000,0", "Z9,0,0", "Hg99", "Tzz", "qXfer:features:read:x.xml:0,10",
                        "qXfer:features:read:target.xml:ffffffff,ffffffff", "qRcmd,zz", "vCont;t", "vCont;", "Xzz", "X0,5:ab", ""};
                for (String h : hostile) {
                    o.write(frame(h).getBytes(StandardCharsets.ISO_8859_1));
                    o.flush();
                    String reply = readPacket(in);
                    assertTrue(reply.isEmpty() || reply.startsWith("E") || reply.equals("OK") || reply.startsWith("l") || reply.startsWith("O"),
                            h + " -> " + reply);
                    if (reply.startsWith("O")) readPacket(in); // the OK after monitor output
                }
                o.write(frame("m40080000,10").getBytes(StandardCharsets.ISO_8859_1));
                o.flush();
                assertEquals(32, readPacket(in).length());
                // Ctrl-C while the guest runs: every vCPU stops, the reply is SIGINT for the selected thread
                o.write(frame("c").getBytes(StandardCharsets.ISO_8859_1));
                o.flush();
                long runUntil = System.nanoTime() + 20_000_000_000L;
                while (r.board.isPaused() && System.nanoTime() < runUntil) Thread.sleep(10);
                o.write(3);
                o.flush();
                assertEquals("T02thread:1;", readPacket(in));
                assertTrue(r.board.isPaused());
                // continue, then vanish in the middle of a packet while the guest runs
                o.write((frame("c") + "$m4008").getBytes(StandardCharsets.ISO_8859_1));
                o.flush();
            }
            long until = System.nanoTime() + 20_000_000_000L;
            while (r.board.isPaused() && System.nanoTime() < until) Thread.sleep(10);
            long a = v0.x(5);
            Thread.sleep(50);
            until = System.nanoTime() + 20_000_000_000L;
            while (v0.x(5) == a && System.nanoTime() < until) Thread.sleep(10);
            assertTrue(v0.x(5) != a, "the guest still runs after the client vanished");

            // A second client stops it (connecting stops the VM) and vanishes: it stays stopped.
            try (Socket c = new Socket("127.0.0.1", r.stub.port())) {
                c.setSoTimeout(20_000);
                c.getOutputStream().write(frame("?").getBytes(StandardCharsets.ISO_8859_1));
                assertTrue(readPacket(c.getInputStream()).startsWith("T05thread:"));
            }
            Thread.sleep(100);
            assertTrue(r.board.isPaused(), "stopped as the client left it");
            long b = v0.x(5);
            Thread.sleep(50);
            assertEquals(b, v0.x(5));

            // A third one detaches: the guest runs again.
            try (Socket c = new Socket("127.0.0.1", r.stub.port())) {
                c.setSoTimeout(20_000);
                c.getOutputStream().write(frame("D").getBytes(StandardCharsets.ISO_8859_1));
                assertEquals("OK", readPacket(c.getInputStream()));
            }
            until = System.nanoTime() + 20_000_000_000L;
            while (v0.x(5) == b && System.nanoTime() < until) Thread.sleep(10);
            assertTrue(v0.x(5) != b, "runs after detach");
        }
    }
}
