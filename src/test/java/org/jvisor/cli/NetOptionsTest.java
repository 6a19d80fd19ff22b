package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.vmm.net.Netdev;
import org.jvisor.vmm.net.Nic;
import org.jvisor.vmm.net.PortForward;
import org.jvisor.testing.NeedsPasst;

/**
 * QEMU's network options (qemu-options.hx: -nic, -netdev user|stream|socket, -device virtio-net-device) as
 * jvisor reads them, and bad ones as one line each.
 */
class NetOptionsTest {
    private static List<Nic> parse(List<String> nic, List<String> netdev, List<String> device) {
        return NetOptions.parse(nic, netdev, device, List.of());
    }

    @Test
    void noNicUnlessAsked() {
        assertEquals(List.of(), parse(List.of(), List.of(), List.of()));
        assertEquals(List.of(), parse(List.of("none"), List.of(), List.of()));
    }

    @Test
    void nicUserWithForwardsAndQemusDefaultMac() {
        List<Nic> n = parse(List.of("user,hostfwd=tcp::5555-:22,hostfwd=udp:127.0.0.1:5353-10.0.2.15:53", "user,mac=52:54:00:ab:cd:ef"), List.of(), List.of());
        assertEquals(2, n.size());
        assertEquals("52:54:00:12:34:56", Nic.format(n.get(0).mac()));
        assertEquals(65520, n.get(0).mtu(), "passt's MTU");
        assertEquals(new Netdev.User("nic0", List.of(new PortForward(false, "", 5555, 22), new PortForward(true, "127.0.0.1", 5353, 53))),
                n.get(0).netdev());
        assertEquals("52:54:00:ab:cd:ef", Nic.format(n.get(1).mac()));
    }

    @Test
    void netdevWithDevice() {
        List<Nic> n = parse(List.of(), List.of("stream,id=a,server=on,addr.type=inet,addr.port=7000",
                        "stream,id=b,server=off,addr.type=unix,addr.path=/tmp/passt.sock", "socket,id=c,connect=127.0.0.1:7001"),
                List.of("virtio-net-device,netdev=b,mac=02:00:00:00:00:02", "virtio-net-device,netdev=a,host_mtu=9000", "virtio-net-device,netdev=c"));
        assertEquals(new Netdev.Stream("b", false, UnixDomainSocketAddress.of("/tmp/passt.sock")), n.get(0).netdev());
        assertEquals(0x0200_0000_0002L, n.get(0).mac());
        assertEquals(1500, n.get(0).mtu());
        assertEquals(new Netdev.Stream("a", true, new InetSocketAddress(InetAddress.getLoopbackAddress(), 7000)), n.get(1).netdev());
        assertEquals(9000, n.get(1).mtu());
        assertEquals(0x5254_0012_3457L, n.get(1).mac(), "QEMU's default, counted up per NIC");
        assertEquals(new Netdev.Stream("c", false, new InetSocketAddress(InetAddress.getLoopbackAddress(), 7001)), n.get(2).netdev());
    }

    @Test
    void badTextIsOneLineEach() {
        String[][] cases = {
            {"-nic tap: type 'tap'", "tap"},
            {"hostfwd=tcp:5555:22 (expected", "user,hostfwd=tcp:5555:22"},
            {"ports are 1 to 65535", "user,hostfwd=tcp::0-:22"},
            {"the guest's address is 10.0.2.15", "user,hostfwd=tcp::5555-10.0.2.99:22"},
            {"mac=52:54:00:12:34 (expected six hex bytes", "user,mac=52:54:00:12:34"},
            {"is a multicast address", "user,mac=01:00:5e:00:00:01"},
            {"model=e1000 (jvisor's NIC is virtio-net-device)", "user,model=e1000"},
            {"unknown property 'net'", "user,net=10.0.3.0/24"},
            {"give listen=[HOST]:PORT or connect=HOST:PORT", "socket"},
            {"addr.type=inet or addr.type=unix is required", "stream,server=on"},
            {"addr.type=unix needs addr.path=FILE", "stream,addr.type=unix"},
            {"'x' is not a port", "socket,connect=127.0.0.1:x"},
            {"two NICs with the MAC address 52:54:00:00:00:01", "user,mac=52:54:00:00:00:01", "user,mac=52:54:00:00:00:01"},
        };
        for (String[] c : cases) {
            UserError e = assertThrows(UserError.class, () -> parse(List.of(c).subList(1, c.length), List.of(), List.of()), c[0]);
            assertTrue(e.getMessage().contains(c[0]) && !e.getMessage().contains("\n"), c[0] + ": " + e.getMessage());
        }
        assertTrue(assertThrows(UserError.class, () -> parse(List.of(), List.of("user"), List.of())).getMessage().contains("id=ID is required"));
        assertTrue(assertThrows(UserError.class, () -> parse(List.of(), List.of("user,id=n0"), List.of())).getMessage()
                .contains("no -device virtio-net-device,netdev=n0 uses it"));
        assertTrue(assertThrows(UserError.class, () -> parse(List.of(), List.of("user,id=n0", "user,id=n0"), List.of())).getMessage()
                .contains("'n0' is given twice"));
        assertTrue(assertThrows(UserError.class, () -> parse(List.of(), List.of(), List.of("virtio-net-device,netdev=n9"))).getMessage()
                .contains("no unused -netdev with id=n9"));
        assertTrue(assertThrows(UserError.class, () -> parse(List.of(), List.of("user,id=n0"), List.of("virtio-net-device,netdev=n0,host_mtu=20")))
                .getMessage().contains("host_mtu=20 (68 to 65535)"));
        assertTrue(assertThrows(UserError.class, () -> NetOptions.parse(List.of(), List.of(), List.of(), List.of("user"))).getMessage()
                .contains("-net user: jvisor takes QEMU's newer spelling"));
    }

    /** A network that cannot be reached is one line from `jvisor run`, before anything boots. */
    @Test
    void anUnreachablePeerIsOneLine(@TempDir Path dir) throws Exception {
        Path kernel = Files.write(dir.resolve("kernel.bin"), new byte[4096]);
        RunCommandTest.Result r = RunCommandTest.run("run", "-kernel", kernel.toString(), "-m", "64M", "-nic",
                "stream,addr.type=unix,addr.path=" + dir.resolve("nobody-listens.sock"));
        assertEquals(2, r.status(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("jvisor: -netdev nic0: cannot connect to " + dir.resolve("nobody-listens.sock") + ": "), r.err());
    }

    /**
     * passt isolates itself in a user namespace; where the system refuses one (here: a user namespace whose
     * user.max_user_namespaces is 0, as a chroot or a locked-down container refuses it) `jvisor run -nic user`
     * says so in one line, and what works without passt.
     */
    @Test
    @NeedsPasst
    void passtRefusedAUserNamespaceIsOneLineThatSaysSo(@TempDir Path dir) throws Exception {
        Path kernel = Files.write(dir.resolve("kernel.bin"), new byte[4096]);
        List<String> cmd = new java.util.ArrayList<>(List.of("unshare", "--user", "--map-root-user", "sh", "-c",
                "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$@\"", "sh"));
        cmd.addAll(Processes.jvisor(kernel, "-nic", "user"));
        RunCommandTest.Result r = Processes.run(cmd, java.util.Map.of(), null);
        assertEquals(2, r.status(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("jvisor: -netdev user: passt cannot run here: it sandboxes itself in a user namespace, which this system refuses"), r.err());
        assertTrue(r.err().contains("Couldn't create user namespace"), "passt's own words: " + r.err());
    }

    /** `jvisor switch` with an address it cannot take: one line each, before it listens. */
    @Test
    void switchBadAddressesAreOneLineEach(@TempDir Path dir) throws Exception {
        Path taken = Files.writeString(dir.resolve("taken.sock"), "");
        RunCommandTest.Result r = RunCommandTest.run("switch", taken.toString());
        assertEquals(2, r.status(), r.err());
        assertEquals("jvisor: " + taken + ": the file exists (another switch's socket? remove it if nothing listens there)\n", r.err());
        r = RunCommandTest.run("switch", "nosuchhost.invalid:7000");
        assertEquals(2, r.status(), r.err());
        assertEquals("jvisor: switch nosuchhost.invalid:7000: unknown host 'nosuchhost.invalid'\n", r.err());
        r = RunCommandTest.run("switch", ":70000");
        assertEquals("jvisor: switch :70000: no port 70000\n", r.err());
        r = RunCommandTest.run("switch", dir.resolve("no/such/dir/lan.sock").toString());
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().startsWith("jvisor: switch: cannot listen on " + dir.resolve("no/such/dir/lan.sock") + ": "), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }
}
