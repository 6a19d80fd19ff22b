package org.jvisor.vmm.net;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The switch's forwarding, by IEEE 802.1D's rules for a learning bridge: a frame goes to the port its
 * destination was learned on, and is flooded to every other port when that destination is a group
 * (broadcast, multicast) or unknown; never back to the port it came from. Whether a frame did not reach a
 * port is told by a fence: a broadcast sent after it, which that port must receive first.
 */
class NetSwitchTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true);
    private static final long A = 0x5254_0000_000aL, B = 0x5254_0000_000bL, C = 0x5254_0000_000cL, Z = 0x5254_0000_00ffL,
            BROADCAST = 0xffff_ffff_ffffL;
    @TempDir Path dir;

    private static byte[] frame(long to, long from, int tag) {
        byte[] f = new byte[60];
        for (int i = 0; i < 6; i++) {
            f[i] = (byte) (to >>> 8 * (5 - i));
            f[6 + i] = (byte) (from >>> 8 * (5 - i));
        }
        f[12] = (byte) 0x88; f[13] = (byte) 0xb5;   // IEEE's local experimental EtherType
        f[14] = (byte) tag;
        return f;
    }

    private record Station(StreamLink link, BlockingQueue<byte[]> in) {
        byte[] next() throws InterruptedException { return in.poll(5, TimeUnit.SECONDS); }
    }

    private Station station(NetSwitch sw, int portsThen) throws Exception {
        BlockingQueue<byte[]> in = new LinkedBlockingQueue<>();
        StreamLink l = StreamLink.connect("s", sw.localAddress(), QUIET);
        l.start(in::add);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (sw.ports() < portsThen && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(portsThen, sw.ports());
        return new Station(l, in);
    }

    private static void assertTag(int tag, byte[] f) {
        assertNotNull(f, "frame " + tag + " arrived");
        assertEquals(tag, f[14], "frame " + tag);
    }

    @Test
    void learnsFloodsAndForgets() throws Exception {
        try (NetSwitch sw = NetSwitch.listen(UnixDomainSocketAddress.of(dir.resolve("switch.sock")), QUIET)) {
            Station a = station(sw, 1), b = station(sw, 2), c = station(sw, 3);

            a.link().send(frame(BROADCAST, A, 1));          // floods; A is learned
            assertTag(1, b.next());
            assertTag(1, c.next());

            b.link().send(frame(A, B, 2));                  // to A's port only; B is learned
            b.link().send(frame(BROADCAST, B, 3));          // the fence
            assertTag(2, a.next());
            assertTag(3, a.next());
            assertTag(3, c.next());                         // C never saw frame 2

            c.link().send(frame(Z, C, 4));                  // unknown: flooded
            assertTag(4, a.next());
            assertTag(4, b.next());

            a.link().send(frame(0x0100_5e00_0001L, A, 5));  // multicast: flooded, not back to A
            assertTag(5, b.next());
            assertTag(5, c.next());
            a.link().send(frame(C, A, 6));
            a.link().send(frame(BROADCAST, A, 7));
            assertTag(6, c.next());
            assertTag(7, c.next());
            assertTag(7, b.next());                         // B never saw frame 6
            assertNull(a.in().poll(100, TimeUnit.MILLISECONDS), "nothing came back to A");

            a.link().close();                               // A's port goes, and what was learned behind it
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (sw.ports() > 2 && System.nanoTime() < deadline) Thread.sleep(5);
            assertEquals(2, sw.ports());
            b.link().send(frame(A, B, 8));                  // A unknown again: flooded to C
            assertTag(8, c.next());
            b.link().close();
            c.link().close();
        }
        assertFalse(dir.resolve("switch.sock").toFile().exists(), "the socket file is removed at close");
    }

    /** A port that sends garbage loses its own connection; the others go on being switched. */
    @Test
    void aBadPortDoesNotDisturbTheOthers() throws Exception {
        try (NetSwitch sw = NetSwitch.listen(UnixDomainSocketAddress.of(dir.resolve("switch.sock")), QUIET)) {
            Station a = station(sw, 1), b = station(sw, 2);
            try (SocketChannel bad = SocketChannel.open(sw.localAddress())) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (sw.ports() < 3 && System.nanoTime() < deadline) Thread.sleep(5);
                DataOutputStream w = new DataOutputStream(Channels.newOutputStream(bad));
                w.writeInt(5);                              // a runt: shorter than an Ethernet header, dropped
                w.write(new byte[5]);
                w.writeInt(-1);                             // a length no frame has: that port is closed
                w.flush();
                while (sw.ports() > 2 && System.nanoTime() < deadline) Thread.sleep(5);
                assertEquals(2, sw.ports());
            }
            a.link().send(frame(BROADCAST, A, 1));
            assertTag(1, b.next());
            a.link().close();
            b.link().close();
        }
    }
}
