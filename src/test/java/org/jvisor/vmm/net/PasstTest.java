package org.jvisor.vmm.net;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsPasst;

/** passt as jvisor starts it: it answers a DHCP discover, and it is gone once the backend is closed. */
@NeedsPasst
class PasstTest {
    /** A DHCPDISCOVER from 52:54:00:12:34:56, as RFC 2131 lays it out, in Ethernet/IPv4/UDP 68 -> 67. */
    static byte[] dhcpDiscover() {
        byte[] dhcp = new byte[240 + 4];
        dhcp[0] = 1; dhcp[1] = 1; dhcp[2] = 6;                          // BOOTREQUEST, Ethernet, 6-byte addresses
        dhcp[4] = 0x12; dhcp[5] = 0x34; dhcp[6] = 0x56; dhcp[7] = 0x78; // xid
        byte[] mac = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
        System.arraycopy(mac, 0, dhcp, 28, 6);                          // chaddr
        dhcp[236] = 99; dhcp[237] = (byte) 130; dhcp[238] = 83; dhcp[239] = 99; // magic cookie
        dhcp[240] = 53; dhcp[241] = 1; dhcp[242] = 1;                   // DHCP message type: DISCOVER
        dhcp[243] = (byte) 255;                                          // end
        int udpLen = 8 + dhcp.length, ipLen = 20 + udpLen;
        byte[] f = new byte[14 + ipLen];
        for (int i = 0; i < 6; i++) f[i] = (byte) 0xff;
        System.arraycopy(mac, 0, f, 6, 6);
        f[12] = 0x08;
        int ip = 14;
        f[ip] = 0x45; f[ip + 2] = (byte) (ipLen >> 8); f[ip + 3] = (byte) ipLen; f[ip + 8] = 64; f[ip + 9] = 17;
        for (int i = 16; i < 20; i++) f[ip + i] = (byte) 0xff;          // 0.0.0.0 -> 255.255.255.255
        int sum = 0;
        for (int i = 0; i < 20; i += 2) sum += (f[ip + i] & 0xff) << 8 | f[ip + i + 1] & 0xff;
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
        f[ip + 10] = (byte) (~sum >> 8); f[ip + 11] = (byte) ~sum;
        int udp = ip + 20;
        f[udp + 1] = 68; f[udp + 3] = 67; f[udp + 4] = (byte) (udpLen >> 8); f[udp + 5] = (byte) udpLen; // checksum 0: none
        System.arraycopy(dhcp, 0, f, udp + 8, dhcp.length);
        return f;
    }

    @Test
    void passtOffersQemusAddressesAndGoesAwayOnClose() throws Exception {
        BlockingQueue<byte[]> in = new LinkedBlockingQueue<>();
        long pid;
        try (Passt p = Passt.start("n0", List.of(), new PrintStream(new ByteArrayOutputStream(), true))) {
            pid = p.pid();
            p.start(in::add);
            byte[] offer = null;
            for (int i = 0; i < 20 && offer == null; i++) {
                p.send(dhcpDiscover());
                for (byte[] f; (f = in.poll(250, TimeUnit.MILLISECONDS)) != null; )
                    if (f.length > 14 + 20 + 8 + 240 && f[12] == 8 && f[14 + 9] == 17 && f[14 + 20 + 3] == 68) offer = f;
            }
            assertNotNull(offer, "a DHCP answer from passt");
            int bootp = 14 + 20 + 8;
            assertEquals(2, offer[bootp], "BOOTREPLY");
            assertArrayEquals(new byte[]{10, 0, 2, 15}, java.util.Arrays.copyOfRange(offer, bootp + 16, bootp + 20), "yiaddr: QEMU's guest address");
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) Thread.sleep(20);
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "passt stopped with the VM");
    }
}
