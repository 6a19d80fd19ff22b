package org.jvisor.vmm.net;

import java.io.IOException;
import java.io.PrintStream;
import java.net.SocketAddress;
import java.util.List;
import org.jvisor.vmm.BootException;

/** A network a NIC is plugged into, as the user named it (QEMU's {@code -netdev}); {@link #open} makes its backend. */
public sealed interface Netdev {
    String id();

    /** The MTU the NIC offers its guest on this network. */
    int mtu();

    NetBackend open(PrintStream log) throws BootException;

    /** {@code HOST:PORT} or the socket file's path. */
    static String describe(SocketAddress a) {
        if (a instanceof java.net.InetSocketAddress i) return i.getHostString() + ":" + i.getPort();
        if (a instanceof java.net.UnixDomainSocketAddress u) return u.getPath().toString();
        return String.valueOf(a);
    }

    /** User-mode networking: a passt jvisor starts ({@code -netdev user}), with the host's ports forwarded. */
    record User(String id, List<PortForward> forwards) implements Netdev {
        public User {
            forwards = List.copyOf(forwards);
        }

        @Override
        public int mtu() { return Passt.MTU; }

        @Override
        public NetBackend open(PrintStream log) throws BootException {
            return Passt.start(id, forwards, log);
        }
    }

    /**
     * A stream socket with {@link StreamLink}'s framing ({@code -netdev stream} and {@code socket}): listening
     * ({@code server}) or connecting to {@code address}, TCP or UNIX. Its MTU is Ethernet's 1500 unless the
     * device says otherwise: the peer may be a QEMU, whose NIC takes no more by default.
     */
    record Stream(String id, boolean server, SocketAddress address) implements Netdev {
        @Override
        public int mtu() { return 1500; }

        @Override
        public NetBackend open(PrintStream log) throws BootException {
            try {
                return server ? StreamLink.listen(id, address, log) : StreamLink.connect(id, address, log);
            } catch (IOException e) {
                throw new BootException("-netdev " + id + ": cannot " + (server ? "listen on " : "connect to ") + describe(address) + ": "
                        + (e.getMessage() == null ? e.toString() : e.getMessage()));
            }
        }
    }
}
