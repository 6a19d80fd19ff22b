package org.jvisor.vmm.net;

import java.io.IOException;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jvisor.vmm.BootException;

/**
 * User-mode networking through passt (passt.top; Debian's {@code passt}), started by jvisor for one VM: the
 * guest gets DHCP, DNS and outbound TCP/UDP/ICMP through the host's sockets, no root needed. The guest's
 * addresses are QEMU's slirp ones: 10.0.2.15/24, the gateway 10.0.2.2, which passt maps to the host
 * itself (a server on the host's 127.0.0.1 is reached at 10.0.2.2), and 10.0.2.3 for DNS, forwarded to the
 * host's resolver. Host ports forwarded to the guest are passt's {@code -t}/{@code -u}.
 *
 * <p>passt listens on a UNIX socket in a private temporary directory (mode 0700) and serves one client
 * ({@code --one-off}): when jvisor's connection closes, however jvisor ends (even killed), passt exits.
 * {@link #close} stops it too. As root, passt would drop to user {@code nobody}, who cannot reach the
 * private directory: it is told to run as jvisor's own user ({@code --runas}).
 */
public final class Passt implements NetBackend {
    public static final String GUEST_ADDRESS = "10.0.2.15", GATEWAY = "10.0.2.2", DNS = "10.0.2.3";
    /** passt's MTU (65520, what it gives by DHCP): the NIC offers it so that Linux posts 64 KiB receive buffers. */
    public static final int MTU = 65520;
    private static final long START_TIMEOUT_MS = 10_000;

    private final Process process;
    private final Path dir;
    private final StreamLink link;
    /** Stops passt and removes its directory if the JVM ends without {@link #close} (Ctrl-C, an error). */
    private final Thread atExit;

    private Passt(Process process, Path dir, StreamLink link) {
        this.process = process;
        this.dir = dir;
        this.link = link;
        atExit = new Thread(() -> {
            process.destroy();
            deleteDir(dir);
        }, "jvisor passt cleanup");
        Runtime.getRuntime().addShutdownHook(atExit);
    }

    /** The command line that starts passt for a socket at {@code socket}. */
    static List<String> command(Path socket, List<PortForward> forwards, String owner) {
        List<String> c = new ArrayList<>(List.of("passt", "--foreground", "--quiet", "--one-off", "--runas", owner,
                "--socket", socket.toString(), "--address", GUEST_ADDRESS, "--netmask", "24", "--gateway", GATEWAY,
                "--dns", DNS, "--dns-forward", DNS));
        for (PortForward f : forwards) c.addAll(List.of(f.passtArguments()));
        return c;
    }

    /** Starts passt and connects to it; a passt that is missing or fails gives a one-line {@link BootException}. */
    public static Passt start(String name, List<PortForward> forwards, PrintStream log) throws BootException {
        Path dir;
        try {
            dir = Files.createTempDirectory("jvisor-passt");
        } catch (IOException e) {
            throw new BootException("-netdev user: cannot make a directory for passt's socket: " + e.getMessage());
        }
        Path socket = dir.resolve("passt.socket"), output = dir.resolve("passt.log");
        Process p;
        try {
            String owner = Files.getAttribute(dir, "unix:uid") + ":" + Files.getAttribute(dir, "unix:gid");
            p = new ProcessBuilder(command(socket, forwards, owner)).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        } catch (IOException | UnsupportedOperationException e) {
            deleteDir(dir);
            String why = String.valueOf(e.getMessage()).strip();
            throw new BootException(why.contains("No such file")
                    ? "-netdev user needs passt, which is not installed (Debian: apt-get install passt)"
                    : "-netdev user: cannot start passt: " + why);
        }
        try {
            StreamLink link = connectWhenReady(name, p, socket, output, log);
            return new Passt(p, dir, link);
        } catch (BootException | RuntimeException e) {
            p.destroyForcibly();
            deleteDir(dir);
            throw e;
        }
    }

    private static StreamLink connectWhenReady(String name, Process p, Path socket, Path output, PrintStream log) throws BootException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (true) {
            if (Files.exists(socket)) {
                try {
                    return StreamLink.connect(name, UnixDomainSocketAddress.of(socket), log);
                } catch (IOException e) {
                    // bound but not listening yet
                }
            }
            if (!p.isAlive()) throw new BootException(exited(p.exitValue(), said(output)));
            if (System.nanoTime() > deadline) throw new BootException("-netdev user: passt did not open its socket in " + START_TIMEOUT_MS / 1000 + " s" + said(output));
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BootException("-netdev user: interrupted while starting passt");
            }
        }
    }

    /**
     * Why passt ended before it served: its own words, and where they name its sandbox (passt isolates itself
     * in a user namespace, and has no option to run without one), what refuses it and what works instead.
     */
    static String exited(int status, String said) {
        if (said.contains("Couldn't create user namespace"))
            return "-netdev user: passt cannot run here: it sandboxes itself in a user namespace, which this system refuses"
                    + " (a chroot, a container without user namespaces, or user.max_user_namespaces=0)" + said
                    + "; -netdev stream and socket links need no passt";
        return "-netdev user: passt exited with status " + status + said;
    }

    /** What passt printed, without its complaints about a missing syslog: ": ..." or "". */
    private static String said(Path output) {
        try {
            String s = Files.readAllLines(output, StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank() && !l.startsWith("Failed to send") && !l.startsWith("Don't run as root"))
                    .collect(Collectors.joining("; "));
            return s.isEmpty() ? "" : ": " + s;
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void start(Receiver receiver) { link.start(receiver); }

    @Override
    public void send(byte[] frame) { link.send(frame); }

    @Override
    public long dropped() { return link.dropped(); }

    /** passt's process id (for tests: it must be gone after close). */
    public long pid() { return process.pid(); }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(atExit);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook does the same
        }
        link.close();
        process.destroy();
        try {
            if (!process.waitFor(2, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        deleteDir(dir);
    }

    private static void deleteDir(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) Files.deleteIfExists(f);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a temporary directory left behind
        }
    }
}
