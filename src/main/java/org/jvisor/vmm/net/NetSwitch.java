package org.jvisor.vmm.net;

import java.io.IOException;
import java.io.PrintStream;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A learning Ethernet switch for any number of VMs (jvisor's or QEMU's): each connects to it as a
 * {@code -netdev stream,server=off} client, with QEMU's framing (see {@link StreamLink}), and gets a port. As
 * IEEE 802.1D's forwarding process does, the switch learns which port each source MAC address is behind, sends
 * a frame to a known unicast destination's port only, and floods broadcast, multicast and unknown destinations
 * to every port but the one it came in on. A port whose peer went is forgotten with the addresses behind it.
 * A port that does not read has its frames dropped ({@link StreamLink}'s queue), never holds up the others.
 */
public final class NetSwitch implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Path unixPath;
    private final PrintStream log;
    private final List<Port> ports = new ArrayList<>();
    private final Map<Long, Port> learned = new HashMap<>();
    private final Thread acceptor;
    private volatile boolean closed;
    private int nextPort = 1;

    private record Port(int number, StreamLink link) {}

    private NetSwitch(ServerSocketChannel server, Path unixPath, PrintStream log) {
        this.server = server;
        this.unixPath = unixPath;
        this.log = log;
        acceptor = Thread.ofPlatform().daemon().name("jvisor-switch accept").start(this::acceptLoop);
    }

    /** Listens on {@code address} (TCP or a UNIX socket file, which is removed at close) and starts switching. */
    public static NetSwitch listen(SocketAddress address, PrintStream log) throws IOException {
        return new NetSwitch(StreamLink.bind(address, 16), StreamLink.socketFile(address), log);
    }

    /** The address it listens on (its port when asked for port 0). */
    public SocketAddress localAddress() throws IOException { return server.getLocalAddress(); }

    /** Ports with a peer connected now. */
    public synchronized int ports() {
        forgetGone();
        return ports.size();
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                if (!closed) log.println("jvisor: switch: " + e.getMessage());
                return;
            }
            try {
                Port p;
                synchronized (this) {
                    forgetGone();
                    p = new Port(nextPort, StreamLink.accepted("switch port " + nextPort, ch, log));
                    nextPort++;
                    ports.add(p);
                }
                log.println("jvisor: switch: port " + p.number() + " connected (" + ch.getRemoteAddress() + ")");
                p.link().start(frame -> forward(p, frame));
            } catch (IOException e) {
                log.println("jvisor: switch: " + e.getMessage());
            }
        }
    }

    private synchronized void forward(Port from, byte[] frame) {
        if (frame.length < 14) return; // not even an Ethernet header
        long source = mac(frame, 6), destination = mac(frame, 0);
        if ((frame[6] & 1) == 0) learned.put(source, from); // a group address is never a source
        Port to = (frame[0] & 1) == 0 ? learned.get(destination) : null;
        if (to != null && to.link().connected()) {
            if (to != from) to.link().send(frame);
            return;
        }
        for (Port p : ports) {
            if (p != from && p.link().connected()) p.link().send(frame);
        }
    }

    private void forgetGone() {
        for (Port p : List.copyOf(ports)) {
            if (p.link().connected()) continue;
            ports.remove(p);
            learned.values().removeIf(q -> q == p);
            p.link().close();
            log.println("jvisor: switch: port " + p.number() + " disconnected");
        }
    }

    private static long mac(byte[] f, int at) {
        long m = 0;
        for (int i = 0; i < 6; i++) m = m << 8 | f[at + i] & 0xff;
        return m;
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        List<Port> all;
        synchronized (this) {
            all = List.copyOf(ports);
            ports.clear();
            learned.clear();
        }
        for (Port p : all) p.link().close();
        try {
            acceptor.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        StreamLink.removeSocketFile(unixPath);
    }
}
