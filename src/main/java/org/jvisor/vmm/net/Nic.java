package org.jvisor.vmm.net;

/**
 * A virtio-net device on the board: its network, its MAC address (48 bits) and the MTU it offers.
 */
public record Nic(Netdev netdev, long mac, int mtu) {
    public Nic {
        if ((mac >>> 48) != 0 || (mac & 1L << 40) != 0) throw new IllegalArgumentException("not a unicast MAC address");
    }

    /** {@code 52:54:00:12:34:56}. */
    public static String format(long mac) {
        StringBuilder s = new StringBuilder();
        for (int i = 5; i >= 0; i--) s.append(String.format("%02x", mac >>> 8 * i & 0xff)).append(i > 0 ? ":" : "");
        return s.toString();
    }
}
