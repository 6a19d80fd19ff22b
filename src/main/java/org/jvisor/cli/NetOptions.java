package org.jvisor.cli;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jvisor.vmm.net.Netdev;
import org.jvisor.vmm.net.Nic;
import org.jvisor.vmm.net.Passt;
import org.jvisor.vmm.net.PortForward;
import org.jvisor.vmm.virtio.VirtioNet;

/**
 * QEMU's network options as the board's virtio-net devices: {@code -netdev user|stream|socket,id=ID,...}
 * with {@code -device virtio-net-device,netdev=ID[,mac=MAC][,host_mtu=N]}, and {@code -nic TYPE,...} for
 * both at once. Unlike QEMU's virt board, jvisor's has no NIC unless one is asked for: a NIC on user-mode
 * networking is an outside process (passt) and a way from the guest to the host's loopback, which a user
 * should choose. MAC addresses default to QEMU's, 52:54:00:12:34:56 for the first NIC and counting up.
 * An empty HOST (listen=:PORT, addr.host unset) is the loopback, where QEMU's listen=:PORT takes every
 * address: a guest's network is not offered to the host's neighbours unless the user names an address.
 */
final class NetOptions {
    private NetOptions() {}

    private static final String[] USER = {"id", "hostfwd"};
    private static final String[] STREAM = {"id", "server", "addr.type", "addr.host", "addr.port", "addr.path"};
    private static final String[] SOCKET = {"id", "listen", "connect"};
    private static final String[] NIC_ONLY = {"mac", "model"};
    private static final Pattern HOSTFWD = Pattern.compile("(tcp|udp)?:([^:]*):(\\d{1,5})-([^:]*):(\\d{1,5})");
    private static final Pattern MAC = Pattern.compile("\\p{XDigit}{2}([:-]\\p{XDigit}{2}){5}");

    /** The NICs that {@code -nic}, {@code -netdev}, {@code -device virtio-net-device} and {@code -net} ask for. */
    static List<Nic> parse(List<String> nicOptions, List<String> netdevOptions, List<String> nicDevices, List<String> netOptions) {
        for (String net : netOptions)
            if (!net.equals("none")) throw new UserError("-net " + net + ": jvisor takes QEMU's newer spelling: -nic user, or -netdev with -device virtio-net-device");
        Map<String, Netdev> netdevs = new LinkedHashMap<>();
        for (String spec : netdevOptions) {
            Netdev n = netdev("-netdev", spec, netdevs.size(), false);
            if (netdevs.put(n.id(), n) != null) throw new UserError("-netdev " + spec + ": id '" + n.id() + "' is given twice");
        }
        List<Nic> nics = new ArrayList<>();
        for (String spec : nicDevices) {
            Map<String, String> p = QemuStyle.parseKeyValues("-device", spec, "driver", "netdev", "mac", "host_mtu", "id");
            String id = p.get("netdev");
            if (id == null) throw new UserError("-device " + spec + ": netdev=ID is required (the id of a -netdev)");
            Netdev n = netdevs.remove(id);
            if (n == null) throw new UserError("-device " + spec + ": no unused -netdev with id=" + id);
            nics.add(new Nic(n, mac("-device " + spec, p.get("mac"), nics.size()), mtu(spec, p.get("host_mtu"), n.mtu())));
        }
        if (!netdevs.isEmpty())
            throw new UserError("-netdev id=" + netdevs.keySet().iterator().next() + ": no -device virtio-net-device,netdev="
                    + netdevs.keySet().iterator().next() + " uses it");
        for (String spec : nicOptions) {
            if (spec.equals("none")) continue;
            Map<String, String> own = new LinkedHashMap<>();
            StringBuilder rest = new StringBuilder();
            for (String item : spec.split(",", -1)) {
                String key = item.contains("=") ? item.substring(0, item.indexOf('=')) : "";
                if (List.of(NIC_ONLY).contains(key)) {
                    if (own.put(key, item.substring(key.length() + 1)) != null) throw new UserError("-nic " + spec + ": '" + key + "' given twice");
                } else {
                    rest.append(rest.isEmpty() ? "" : ",").append(item);
                }
            }
            String model = own.getOrDefault("model", "virtio-net-device");
            if (!model.equals("virtio-net-device") && !model.equals("virtio"))
                throw new UserError("-nic " + spec + ": model=" + model + " (jvisor's NIC is virtio-net-device)");
            Netdev n = netdev("-nic", rest.toString(), nics.size(), true);
            nics.add(new Nic(n, mac("-nic " + spec, own.get("mac"), nics.size()), n.mtu()));
        }
        if (nics.size() > 1 && nics.stream().map(Nic::mac).distinct().count() < nics.size())
            throw new UserError("two NICs with the MAC address " + Nic.format(nics.get(nics.size() - 1).mac()) + ": give each its own mac=");
        return nics;
    }

    private static Netdev netdev(String option, String spec, int index, boolean idOptional) {
        String type = spec.split(",", 2)[0];
        String[] allowed = switch (type) {
            case "user" -> USER;
            case "stream" -> STREAM;
            case "socket" -> SOCKET;
            case "", "help" -> throw new UserError(option + " " + spec + ": the types are user (passt), stream and socket");
            default -> throw new UserError(option + " " + spec + ": type '" + type + "' (jvisor has user, through passt, stream and socket)");
        };
        List<String> hostfwds = new ArrayList<>();
        StringBuilder rest = new StringBuilder();
        for (String item : spec.split(",", -1)) {
            if (item.startsWith("hostfwd=") && type.equals("user")) hostfwds.add(item.substring(8));
            else rest.append(rest.isEmpty() ? "" : ",").append(item);
        }
        Map<String, String> p = QemuStyle.parseKeyValues(option, rest.toString(), "type", allowed);
        String id = p.get("id");
        if (id == null || id.isEmpty()) {
            if (!idOptional) throw new UserError(option + " " + spec + ": id=ID is required (for -device virtio-net-device,netdev=ID)");
            id = "nic" + index;
        }
        return switch (type) {
            case "user" -> new Netdev.User(id, hostfwds.stream().map(h -> hostfwd(option, h)).toList());
            case "stream" -> stream(option, spec, id, p);
            default -> socket(option, spec, id, p);
        };
    }

    /** {@code [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT}. */
    static PortForward hostfwd(String option, String text) {
        Matcher m = HOSTFWD.matcher(text);
        if (!m.matches())
            throw new UserError(option + ": hostfwd=" + text + " (expected [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT, e.g. tcp::5555-:22)");
        int hostPort = Integer.parseInt(m.group(3)), guestPort = Integer.parseInt(m.group(5));
        if (hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535) throw new UserError(option + ": hostfwd=" + text + ": ports are 1 to 65535");
        String guest = m.group(4);
        if (!guest.isEmpty() && !guest.equals(Passt.GUEST_ADDRESS))
            throw new UserError(option + ": hostfwd=" + text + ": the guest's address is " + Passt.GUEST_ADDRESS + " (or leave it empty)");
        return new PortForward("udp".equals(m.group(1)), m.group(2), hostPort, guestPort);
    }

    private static Netdev stream(String option, String spec, String id, Map<String, String> p) {
        boolean server = QemuStyle.parseSwitch(option, "server", p.getOrDefault("server", "off"));
        String kind = p.get("addr.type");
        SocketAddress a = switch (kind == null ? "" : kind) {
            case "unix" -> {
                String path = p.get("addr.path");
                if (path == null || path.isEmpty()) throw new UserError(option + " " + spec + ": addr.type=unix needs addr.path=FILE");
                yield UnixDomainSocketAddress.of(path);
            }
            case "inet" -> {
                String port = p.get("addr.port");
                if (port == null) throw new UserError(option + " " + spec + ": addr.type=inet needs addr.port=PORT");
                yield inet(option + " " + spec, p.getOrDefault("addr.host", ""), port);
            }
            default -> throw new UserError(option + " " + spec + ": addr.type=inet or addr.type=unix is required");
        };
        return new Netdev.Stream(id, server, a);
    }

    private static Netdev socket(String option, String spec, String id, Map<String, String> p) {
        String listen = p.get("listen"), connect = p.get("connect");
        if ((listen == null) == (connect == null)) throw new UserError(option + " " + spec + ": give listen=[HOST]:PORT or connect=HOST:PORT");
        String where = listen != null ? listen : connect;
        int colon = where.lastIndexOf(':');
        if (colon < 0) throw new UserError(option + " " + spec + ": expected HOST:PORT, found '" + where + "'");
        return new Netdev.Stream(id, listen != null, inet(option + " " + spec, where.substring(0, colon), where.substring(colon + 1)));
    }

    static InetSocketAddress inet(String what, String host, String port) {
        int n;
        try {
            n = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new UserError(what + ": '" + port + "' is not a port");
        }
        if (n < 0 || n > 65535) throw new UserError(what + ": no port " + n);
        try {
            return new InetSocketAddress(host.isEmpty() ? InetAddress.getLoopbackAddress() : InetAddress.getByName(host), n);
        } catch (UnknownHostException e) {
            throw new UserError(what + ": unknown host '" + host + "'");
        }
    }

    /** A MAC address as 52:54:00:12:34:56 (or with dashes); QEMU's default counted up by {@code index} if null. */
    static long mac(String what, String text, int index) {
        if (text == null) return VirtioNet.DEFAULT_MAC + index;
        if (!MAC.matcher(text).matches()) throw new UserError(what + ": mac=" + text + " (expected six hex bytes, e.g. 52:54:00:12:34:57)");
        long v = Long.parseLong(text.replaceAll("[:-]", ""), 16);
        if ((v & 1L << 40) != 0) throw new UserError(what + ": mac=" + text + " is a multicast address (the first byte must be even)");
        return v;
    }

    private static int mtu(String spec, String text, int otherwise) {
        if (text == null) return otherwise;
        try {
            int n = Integer.parseInt(text);
            if (n >= VirtioNet.MIN_MTU && n <= 65535) return n;
        } catch (NumberFormatException e) {
            // below
        }
        throw new UserError("-device " + spec + ": host_mtu=" + text + " (" + VirtioNet.MIN_MTU + " to 65535)");
    }
}
