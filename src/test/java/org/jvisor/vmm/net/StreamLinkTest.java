package org.jvisor.vmm.net;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The framing of QEMU's -netdev stream/socket (net/stream.c: each frame preceded by its length, a 32-bit
 * big-endian integer), checked byte for byte against a plain socket on the other side.
 */
class StreamLinkTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true);

    private static byte[] frame(int n, int seed) {
        byte[] f = new byte[n];
        for (int i = 0; i < n; i++) f[i] = (byte) (i * 31 + seed);
        return f;
    }

    @Test
    void framesBothWaysOverTcp() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             StreamLink link = StreamLink.connect("t", new InetSocketAddress(InetAddress.getLoopbackAddress(), peer.getLocalPort()), QUIET);
             Socket s = peer.accept()) {
            BlockingQueue<byte[]> in = new LinkedBlockingQueue<>();
            link.start(in::add);
            byte[] small = frame(60, 1), big = frame(NetBackend.MAX_FRAME, 2);
            link.send(small);
            link.send(big);
            DataInputStream r = new DataInputStream(s.getInputStream());
            assertEquals(60, r.readInt());
            assertArrayEquals(small, r.readNBytes(60));
            assertEquals(big.length, r.readInt());
            assertArrayEquals(big, r.readNBytes(big.length));
            DataOutputStream w = new DataOutputStream(s.getOutputStream());
            w.write(new byte[]{0, 0, 0, 42});
            w.write(frame(42, 3));
            w.writeInt(0); // an empty frame: skipped
            w.writeInt(1514);
            w.write(frame(1514, 4));
            w.flush();
            assertArrayEquals(frame(42, 3), in.poll(5, TimeUnit.SECONDS));
            assertArrayEquals(frame(1514, 4), in.poll(5, TimeUnit.SECONDS));
            assertEquals(0, link.dropped());
        }
    }

    @Test
    void aListeningLinkTakesOnePeerAfterAnother(@TempDir Path dir) throws Exception {
        UnixDomainSocketAddress a = UnixDomainSocketAddress.of(dir.resolve("l.sock"));
        BlockingQueue<byte[]> in = new LinkedBlockingQueue<>();
        try (StreamLink link = StreamLink.listen("l", a, QUIET)) {
            link.start(in::add);
            link.send(frame(60, 0)); // nobody there: dropped, as on an unplugged cable
            assertEquals(1, link.dropped());
            for (int round = 0; round < 2; round++) {
                try (SocketChannel peer = SocketChannel.open(a)) {
                    ByteBuffer b = ByteBuffer.allocate(4 + 100).putInt(100).put(frame(100, round)).flip();
                    while (b.hasRemaining()) peer.write(b);
                    assertArrayEquals(frame(100, round), in.poll(5, TimeUnit.SECONDS));
                    link.send(frame(70, round));
                    DataInputStream r = new DataInputStream(Channels.newInputStream(peer));
                    assertEquals(70, r.readInt());
                    assertArrayEquals(frame(70, round), r.readNBytes(70));
                }
            }
        }
        assertFalse(java.nio.file.Files.exists(a.getPath()), "the socket file goes with the link");
    }

    @Test
    void aPeerThatSendsAnImpossibleLengthIsDisconnected() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             StreamLink link = StreamLink.connect("bad", new InetSocketAddress(InetAddress.getLoopbackAddress(), peer.getLocalPort()),
                     new PrintStream(log, true));
             Socket s = peer.accept()) {
            BlockingQueue<byte[]> in = new LinkedBlockingQueue<>();
            link.start(in::add);
            new DataOutputStream(s.getOutputStream()).writeInt(NetBackend.MAX_FRAME + 1);
            s.getOutputStream().flush();
            assertEquals(-1, s.getInputStream().read(), "the link closes the connection");
            assertTrue(in.isEmpty());
            assertTrue(log.toString().contains("the peer sent a frame of 65551 bytes (at most 65550): closing the connection"), log.toString());
            link.send(frame(60, 0));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (link.dropped() == 0 && System.nanoTime() < deadline) Thread.sleep(10);
            assertEquals(1, link.dropped(), "a link that is down drops what is sent");
        }
    }

    @Test
    void aPeerThatStopsReadingNeverBlocksTheSender() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             StreamLink link = StreamLink.connect("slow", new InetSocketAddress(InetAddress.getLoopbackAddress(), peer.getLocalPort()), QUIET);
             Socket s = peer.accept()) {
            link.start(f -> { });
            long t0 = System.nanoTime();
            for (int i = 0; i < 5000; i++) link.send(new byte[65536]); // 320 MiB, far more than the socket buffers hold
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "send() returned at once each time");
            assertTrue(link.dropped() > 0, "what does not fit is dropped");
        }
    }
}
