package org.jvisor.vmm.net;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ethernet frames over a stream socket (TCP or UNIX), each preceded by its length as a 4-byte big-endian
 * integer: QEMU's {@code -netdev stream} and {@code -netdev socket} framing, which passt speaks too. One
 * side listens ({@link #listen}: a peer may come, go and come again) and the other connects
 * ({@link #connect}); until a peer is there, frames sent are dropped, as on a cable plugged into nothing.
 *
 * <p>Two threads: one reads frames and hands them to the receiver, one writes the frames that
 * {@link #send} queued ({@value #QUEUE} at most: beyond that a frame is dropped), so that a peer that
 * stops reading never holds up the vCPU that transmits.
 */
public final class StreamLink implements NetBackend {
    static final int QUEUE = 512;
    /** Frames written with one gathering write, at most. */
    private static final int BATCH = 64;

    private final String name;
    private final PrintStream log;
    private final ServerSocketChannel server;
    private final Path unixPath;
    private final BlockingQueue<byte[]> outgoing = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicLong dropped = new AtomicLong();
    private volatile SocketChannel channel;
    private volatile boolean closed;
    private Thread reader, writer;

    private StreamLink(String name, PrintStream log, ServerSocketChannel server, SocketChannel client, Path unixPath) {
        this.name = name;
        this.log = log;
        this.server = server;
        this.channel = client;
        this.unixPath = unixPath;
    }

    /** Connects to {@code address} (an {@link InetSocketAddress} or a {@link UnixDomainSocketAddress}). */
    public static StreamLink connect(String name, SocketAddress address, PrintStream log) throws IOException {
        SocketChannel ch = SocketChannel.open(address);
        tune(ch);
        return new StreamLink(name, log, null, ch, null);
    }

    /** A connection someone else accepted (a switch's port): when the peer goes, the link stays down. */
    static StreamLink accepted(String name, SocketChannel channel, PrintStream log) throws IOException {
        tune(channel);
        return new StreamLink(name, log, null, channel, null);
    }

    /** Listens on {@code address} for one peer at a time; the socket file of a UNIX address is removed at close. */
    public static StreamLink listen(String name, SocketAddress address, PrintStream log) throws IOException {
        return new StreamLink(name, log, bind(address, 1), null, socketFile(address));
    }

    /** A server socket bound to {@code address}, TCP or UNIX. */
    static ServerSocketChannel bind(SocketAddress address, int backlog) throws IOException {
        boolean unix = address instanceof UnixDomainSocketAddress;
        ServerSocketChannel s = ServerSocketChannel.open(unix ? StandardProtocolFamily.UNIX : StandardProtocolFamily.INET);
        try {
            if (!unix) s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            s.bind(address, backlog);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** The file a UNIX address binds, which its listener removes at close; null for TCP. */
    static Path socketFile(SocketAddress address) {
        return address instanceof UnixDomainSocketAddress u ? u.getPath() : null;
    }

    static void removeSocketFile(Path file) {
        if (file == null) return;
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // a socket file left in the user's directory: harmless, and theirs to remove
        }
    }

    private static void tune(SocketChannel ch) throws IOException {
        if (ch.getRemoteAddress() instanceof InetSocketAddress) ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
    }

    /** The address a listening link is bound to (its port when asked for port 0), or null for a connected one. */
    public SocketAddress localAddress() throws IOException {
        return server == null ? null : server.getLocalAddress();
    }

    @Override
    public synchronized void start(Receiver receiver) {
        if (reader != null) throw new IllegalStateException("already started");
        reader = Thread.ofPlatform().daemon().name("jvisor-net " + name + " in").start(() -> readLoop(receiver));
        writer = Thread.ofPlatform().daemon().name("jvisor-net " + name + " out").start(this::writeLoop);
    }

    @Override
    public void send(byte[] frame) {
        if (channel == null || !outgoing.offer(frame)) dropped.incrementAndGet();
    }

    @Override
    public long dropped() { return dropped.get(); }

    /** Whether a peer is connected now: a connected link whose peer went, or a closed one, never is again. */
    boolean connected() { return !closed && channel != null; }

    private void readLoop(Receiver receiver) {
        while (!closed) {
            SocketChannel ch = channel;
            if (ch == null) {
                if (server == null) return; // a client whose peer went: the link stays down, as QEMU's without reconnect=
                try {
                    ch = server.accept();
                    tune(ch);
                } catch (IOException e) {
                    if (!closed) log.println("jvisor: network " + name + ": " + e.getMessage());
                    return;
                }
                channel = ch;
            }
            try {
                DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(ch), 1 << 17));
                while (true) {
                    int n = in.readInt();
                    if (n < 0 || n > MAX_FRAME) {
                        // the stream is out of step: nothing after this length can be trusted
                        log.println("jvisor: network " + name + ": the peer sent a frame of " + Integer.toUnsignedString(n)
                                + " bytes (at most " + MAX_FRAME + "): closing the connection");
                        break;
                    }
                    byte[] f = new byte[n];
                    in.readFully(f);
                    if (n > 0) receiver.receive(f);
                }
            } catch (EOFException e) {
                // the peer closed the connection
            } catch (IOException e) {
                if (!closed) log.println("jvisor: network " + name + ": " + e.getMessage());
            }
            channel = null;
            closeQuietly(ch);
        }
    }

    private void writeLoop() {
        List<byte[]> batch = new ArrayList<>(BATCH);
        ByteBuffer[] buffers = new ByteBuffer[2 * BATCH];
        try {
            while (!closed) {
                batch.add(outgoing.take());
                outgoing.drainTo(batch, BATCH - 1);
                SocketChannel ch = channel;
                if (ch == null) {
                    dropped.addAndGet(batch.size());
                } else {
                    int n = 0;
                    for (byte[] f : batch) {
                        buffers[n++] = ByteBuffer.allocate(4).putInt(0, f.length);
                        buffers[n++] = ByteBuffer.wrap(f);
                    }
                    try {
                        while (buffers[n - 1].hasRemaining()) ch.write(buffers, 0, n);
                    } catch (IOException e) {
                        // the reader sees the connection end too, and says so
                        dropped.addAndGet(batch.size());
                        closeQuietly(ch);
                    }
                    java.util.Arrays.fill(buffers, 0, n, null);
                }
                batch.clear();
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            if (c != null) c.close();
        } catch (IOException e) {
            // nothing left to do with it
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        closeQuietly(channel);
        Thread r, w;
        synchronized (this) {
            r = reader;
            w = writer;
        }
        if (w != null) w.interrupt();
        try {
            if (r != null) r.join(1000);
            if (w != null) w.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        removeSocketFile(unixPath);
    }
}
