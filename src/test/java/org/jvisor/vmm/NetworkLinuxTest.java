package org.jvisor.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.guest.ProgressListener;
import org.jvisor.testing.BootsLinux;
import org.jvisor.testing.NeedsPasst;
import org.jvisor.testing.NeedsQemu;
import org.jvisor.vmm.net.NetSwitch;
import org.jvisor.vmm.net.Netdev;
import org.jvisor.vmm.net.Nic;
import org.jvisor.vmm.net.PortForward;
import org.jvisor.vmm.virtio.VirtioNet;

/**
 * Issue 19's acceptance: the default guest with a virtio-net NIC. Through passt, Linux's wget reaches an
 * HTTP server on the host's loopback (at the gateway, 10.0.2.2) and a host program reaches a server in the
 * guest through a forwarded port; on a socket link, two VMs ping each other and copy a file whose SHA-256
 * both print; on a switch, three VMs (one of them QEMU's) ping each other.
 */
@BootsLinux
class NetworkLinuxTest {
    private static final long TIMEOUT_SECONDS = 300;
    @TempDir Path tmp;

    private static BoardConfig config(GuestImage g, String run, List<Nic> nics) {
        return new BoardConfig(256L << 20, 1, 2, true, List.of(), g.kernel(), g.initrd(),
                "console=ttyAMA0 panic=-1 jvisor.run=\"" + run + "\"", false, true, true, java.time.Duration.ZERO, null,
                false, false, nics);
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    @NeedsPasst
    void userNetworkingReachesTheHostAndTheHostReachesTheGuest() throws Exception {
        GuestImage g = DefaultGuest.obtain(ProgressListener.NONE);
        ServerSocket http = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        String[] request = {null};
        Thread.ofPlatform().daemon().start(() -> request[0] = serveOnce(http, "greetings from the host's loopback\n"));
        int forwarded = freePort();
        String[] reply = {null};
        Thread client = Thread.ofPlatform().daemon().start(() -> reply[0] = talkToGuest(forwarded));
        try {
            String run = "wget -q -O - http://10.0.2.2:" + http.getLocalPort() + "/hello"
                    + " && echo 'hello from the guest' | nc -l -p 8000 > /tmp/got; echo guest got: $(cat /tmp/got)"; // no double quotes inside jvisor.run="..."
            Nic nic = new Nic(new Netdev.User("n0", List.of(new PortForward(false, "127.0.0.1", forwarded, 8000))),
                    VirtioNet.DEFAULT_MAC, org.jvisor.vmm.net.Passt.MTU);
            BoardRun.Result r = BoardRun.run(config(g, run, List.of(nic)), null, TIMEOUT_SECONDS);
            String c = r.console().replace("\r", "");
            assertEquals(0, r.status(), c + r.log());
            assertTrue(c.contains("\ngreetings from the host's loopback\n"), c);
            assertTrue(request[0] != null && request[0].startsWith("GET /hello HTTP/1."), request[0]);
            assertTrue(c.contains("\nguest got: a host program, through hostfwd\n"), c);
            client.join(10_000);
            assertEquals("hello from the guest\n", reply[0]);
            assertTrue(c.contains("\nJVISOR-EXIT 0\n"), c);
        } finally {
            http.close();
        }
    }

    /**
     * A VM with user networking saved at its shell's prompt (eth0 up by DHCP) and restored after its passt
     * is gone: the restored board starts passt again, with its forwarded port, and the guest, on the
     * address of its old lease, reaches the host and is reached by it.
     */
    @Test
    @NeedsPasst
    void aVmSavedWithUserNetworkingReachesTheHostAndIsReachedAfterItsRestore() throws Exception {
        GuestImage g = DefaultGuest.obtain(ProgressListener.NONE);
        int forwarded = freePort();
        Nic nic = new Nic(new Netdev.User("n0", List.of(new PortForward(false, "127.0.0.1", forwarded, 8000))),
                VirtioNet.DEFAULT_MAC, org.jvisor.vmm.net.Passt.MTU);
        BoardConfig config = new BoardConfig(256L << 20, 1, 2, false, List.of(), g.kernel(), g.initrd(), "console=ttyAMA0 panic=-1",
                false, true, true, java.time.Duration.ZERO, null, false, false, List.of(nic));
        Path file = tmp.resolve("net.jvsnap");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        BoardRun.Transcript booted = new BoardRun.Transcript();
        try (VirtBoard board = VirtBoard.build(config, booted, new PrintStream(new ByteArrayOutputStream(), true), false)) {
            Thread runner = BoardRun.start(board, new int[1]);
            assertTrue(booted.await("~ # ", deadline), booted.text());
            board.pause();
            board.save(file, "at the prompt, eth0 up");
            board.stop(0);
            runner.join(10_000);
        } // its passt ends here
        assertTrue(!booted.text().contains("no DHCP answer"), booted.text());

        ServerSocket http = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        String[] request = {null};
        Thread.ofPlatform().daemon().start(() -> request[0] = serveOnce(http, "greetings to a restored guest\n"));
        String[] reply = {null};
        Thread client = Thread.ofPlatform().daemon().start(() -> reply[0] = talkToGuest(forwarded));
        BoardRun.Transcript console = new BoardRun.Transcript();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (VirtBoard board = VirtBoard.restore(org.jvisor.vmm.snapshot.SnapshotFile.open(file), console, console,
                new PrintStream(log, true), false)) {
            int[] status = {-1};
            Thread runner = BoardRun.start(board, status);
            byte[] typed = ("wget -q -O - http://10.0.2.2:" + http.getLocalPort() + "/again && echo 'hello after the restore'"
                    + " | nc -l -p 8000 > /tmp/got; echo guest got: $(cat /tmp/got); poweroff -f\n").getBytes(StandardCharsets.UTF_8);
            board.consoleInput().receive(typed, 0, typed.length);
            runner.join(TimeUnit.NANOSECONDS.toMillis(Math.max(1, deadline - System.nanoTime())));
            String c = console.text();
            assertTrue(!runner.isAlive(), "did not power off:\n" + c + log);
            assertEquals(0, status[0], c + log);
            assertTrue(c.contains("\ngreetings to a restored guest\n"), c);
            assertTrue(request[0] != null && request[0].startsWith("GET /again HTTP/1."), request[0]);
            assertTrue(c.contains("\nguest got: a host program, through hostfwd\n"), c);
            client.join(10_000);
            assertEquals("hello after the restore\n", reply[0]);
        } finally {
            http.close();
        }
    }

    /** Answers one HTTP request on {@code server} with {@code body}; returns the request line. */
    private static String serveOnce(ServerSocket server, String body) {
        try (Socket s = server.accept()) {
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            String first = in.readLine();
            for (String l = first; l != null && !l.isEmpty(); l = in.readLine()) { } // the headers
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            s.getOutputStream().write(("HTTP/1.0 200 OK\r\nContent-Length: " + b.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().write(b);
            return first;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** Connects to the forwarded port until a server in the guest answers; returns what it sent. */
    private static String talkToGuest(int port) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.getOutputStream().write("a host program, through hostfwd\n".getBytes(StandardCharsets.UTF_8));
                s.shutdownOutput();
                String got = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                // before the guest listens, passt takes the connection and closes it when the guest refuses
                if (!got.isEmpty()) return got;
            } catch (java.io.IOException e) {
                // passt not up yet
            }
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return null;
            }
        }
        return null;
    }

    @Test
    void twoVmsOnASocketLinkPingAndCopyAFile() throws Exception {
        GuestImage g = DefaultGuest.obtain(ProgressListener.NONE);
        UnixDomainSocketAddress link = UnixDomainSocketAddress.of(tmp.resolve("link.sock"));
        String serverRun = "mkdir /tmp/w && dd if=/dev/urandom of=/tmp/w/file bs=1024 count=2048 2>/dev/null"
                + " && sha256sum /tmp/w/file && httpd -p 80 -h /tmp/w && echo SERVING && sleep 600";
        // A's kernel answers pings before its shell has made the file and started httpd (a loaded machine
        // showed it): B fetches until httpd serves
        String clientRun = "until ping -c 1 -W 1 10.0.3.1 >/dev/null; do :; done; ping -c 3 10.0.3.1"
                + " && until wget -q -O /tmp/file http://10.0.3.1/file; do sleep 1; done && sha256sum /tmp/file";
        BoardConfig a = config(g, serverRun, List.of(new Nic(new Netdev.Stream("l0", true, link), 0x5254_0012_3401L, 1500)));
        a = withAppend(a, " jvisor.ip=10.0.3.1/24");
        BoardConfig b = config(g, clientRun, List.of(new Nic(new Netdev.Stream("l0", false, link), 0x5254_0012_3402L, 1500)));
        b = withAppend(b, " jvisor.ip=10.0.3.2/24");
        BoardRun.Transcript consoleA = new BoardRun.Transcript();
        ByteArrayOutputStream logA = new ByteArrayOutputStream();
        try (VirtBoard boardA = VirtBoard.build(a, consoleA, new PrintStream(logA, true), false)) {
            Thread runA = BoardRun.start(boardA, new int[1]);
            try {
                assertTrue(Files.exists(link.getPath()), "A listens once built");
                BoardRun.Result rb = BoardRun.run(b, null, TIMEOUT_SECONDS);
                String cb = rb.console(), ca = consoleA.text();
                assertEquals(0, rb.status(), cb + rb.log());
                assertTrue(cb.contains("3 packets transmitted, 3 packets received, 0% packet loss"), cb);
                Matcher sumA = Pattern.compile("\n([0-9a-f]{64})  /tmp/w/file\n").matcher(ca);
                Matcher sumB = Pattern.compile("\n([0-9a-f]{64})  /tmp/file\n").matcher(cb);
                assertTrue(sumA.find(), ca);
                assertTrue(sumB.find(), cb);
                assertEquals(sumA.group(1), sumB.group(1), "the copy has the original's SHA-256");
                assertTrue(cb.contains("\nJVISOR-EXIT 0\n"), cb);
                assertEquals("", logA.toString(StandardCharsets.UTF_8).replaceAll("jvisor: network l0: .*closed.*\n", ""));
            } finally {
                boardA.stop(0);
                runA.join(10_000);
            }
        }
    }

    /**
     * Three VMs on one {@link NetSwitch}: two jvisor VMs and one QEMU VM (the reference: its virtio-net and
     * its -netdev stream client are QEMU's own), each pinging the other two.
     */
    @Test
    @NeedsQemu
    void twoJvisorVmsAndAQemuVmOnASwitchPingEachOther() throws Exception {
        GuestImage g = DefaultGuest.obtain(ProgressListener.NONE);
        UnixDomainSocketAddress at = UnixDomainSocketAddress.of(tmp.resolve("switch.sock"));
        String[] ip = {"10.0.4.1", "10.0.4.2", "10.0.4.3"};
        String[] run = new String[3];
        for (int i = 0; i < 3; i++) {
            String p = ip[(i + 1) % 3], q = ip[(i + 2) % 3];
            // a VM that finished still answers the others' pings while it sleeps: the host stops them all
            run[i] = "for p in " + p + " " + q + "; do until ping -c 1 -W 1 $p >/dev/null; do :; done; done;"
                    + " ping -c 3 " + p + " && ping -c 3 " + q + " && echo PINGED-BOTH; sleep 600";
        }
        ByteArrayOutputStream switchLog = new ByteArrayOutputStream();
        try (NetSwitch sw = NetSwitch.listen(at, new PrintStream(switchLog, true))) {
            List<String> qemu = org.jvisor.cpu.QemuVirt.command("virt", "-m", "256M", "-serial", "stdio", "-no-reboot",
                    "-kernel", g.kernel().toString(), "-initrd", g.initrd().toString(),
                    "-append", "console=ttyAMA0 panic=-1 jvisor.ip=" + ip[2] + "/24 jvisor.run=\"" + run[2] + "\"",
                    "-netdev", "stream,id=n0,server=off,addr.type=unix,addr.path=" + at.getPath(),
                    "-device", "virtio-net-device,netdev=n0,mac=52:54:00:12:34:23");
            Process q = new ProcessBuilder(qemu).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            BoardRun.Transcript consoleQ = new BoardRun.Transcript();
            Thread drainQ = Thread.ofPlatform().daemon().start(() -> {
                try {
                    q.getInputStream().transferTo(consoleQ);
                } catch (java.io.IOException e) {
                    // QEMU ended
                }
            });
            List<BoardRun.Transcript> consoles = List.of(new BoardRun.Transcript(), new BoardRun.Transcript(), consoleQ);
            List<VirtBoard> boards = new java.util.ArrayList<>();
            List<Thread> runs = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    BoardConfig c = withAppend(config(g, run[i], List.of(new Nic(new Netdev.Stream("n0", false, at), 0x5254_0012_3421L + i, 1500))),
                            " jvisor.ip=" + ip[i] + "/24");
                    VirtBoard b = VirtBoard.build(c, consoles.get(i), new PrintStream(new ByteArrayOutputStream(), true), false);
                    boards.add(b);
                    runs.add(BoardRun.start(b, new int[1]));
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
                while (consoles.stream().anyMatch(t -> !t.text().contains("\nPINGED-BOTH")) // not the kernel command line's
                         && System.nanoTime() < deadline && q.isAlive())
                    Thread.sleep(200);
                for (int i : new int[] {2, 0, 1}) { // QEMU's first: it is the reference, and ends the wait if it stops
                    String c = consoles.get(i).text().replace("\r", "");
                    String who = i < 2 ? "jvisor VM " + ip[i] : "QEMU VM " + ip[i] + (q.isAlive() ? "" : " (QEMU exited with status " + q.exitValue() + ")");
                    assertTrue(c.contains("\nPINGED-BOTH"), who + ":\n" + c);
                    for (int k = 1; k <= 2; k++) {
                        String peer = ip[(i + k) % 3];
                        assertTrue(c.contains("--- " + peer + " ping statistics ---\n3 packets transmitted, 3 packets received, 0% packet loss"),
                                who + " pinged " + peer + ":\n" + c);
                    }
                }
                assertEquals(3, sw.ports(), switchLog.toString(StandardCharsets.UTF_8));
            } finally {
                for (VirtBoard b : boards) b.stop(0);
                for (Thread t : runs) t.join(10_000);
                for (VirtBoard b : boards) b.close();
                q.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                drainQ.join(5_000);
            }
        }
    }

    private static BoardConfig withAppend(BoardConfig c, String more) {
        return new BoardConfig(c.ramSize(), c.cpus(), c.gicVersion(), c.hideSeek(), c.drives(), c.kernel(), c.initrd(),
                c.bootargs() + more, c.instructionClock(), c.virtioRng(), c.virtioConsole(), c.rtcOffset(), c.rtcStart(),
                c.virtualization(), c.trapAndEmulate(), c.nics());
    }
}
