package org.jvisor.cli;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jvisor.vmm.net.NetSwitch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code jvisor switch}: a learning Ethernet switch that any number of VMs join as {@code -netdev stream}
 * clients (jvisor's or QEMU's), where a socket link joins only two; a network of VMs for a class, as a
 * vde_switch is for QEMU users. It runs until interrupted.
 */
@Command(name = "switch", sortOptions = false,
        description = {"Run an Ethernet switch that VMs join over a stream socket (QEMU's framing), until Ctrl-C. Each VM:",
                "  -netdev stream,id=n0,server=off,addr.type=unix,addr.path=FILE -device virtio-net-device,netdev=n0,mac=...",
                "or, for a TCP address: -netdev socket,id=n0,connect=HOST:PORT. Give each VM its own MAC address."})
final class SwitchCommand implements Callable<Integer> {
    private static final Pattern HOST_PORT = Pattern.compile("(.*):(\\d+)");

    @Parameters(paramLabel = "FILE|[HOST]:PORT", description = "Where it listens: a UNIX socket file, or a TCP address (HOST defaults to 127.0.0.1).")
    String where;

    @Override
    public Integer call() throws Exception {
        SocketAddress address = address(where);
        if (address instanceof UnixDomainSocketAddress u && Files.exists(u.getPath()))
            throw new UserError(where + ": the file exists (another switch's socket? remove it if nothing listens there)");
        NetSwitch sw;
        try {
            sw = NetSwitch.listen(address, System.err);
        } catch (IOException e) {
            throw new UserError("switch: cannot listen on " + where + ": " + e.getMessage());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(sw::close, "jvisor switch close"));
        System.err.println("jvisor: switch listening on " + sw.localAddress() + "; Ctrl-C stops it");
        Thread.currentThread().join();
        return 0;
    }

    static SocketAddress address(String text) {
        Matcher m = HOST_PORT.matcher(text);
        if (m.matches() && !m.group(1).contains("/")) return NetOptions.inet("switch " + text, m.group(1), m.group(2));
        if (text.isEmpty()) throw new UserError("switch: give a socket file or [HOST]:PORT");
        return UnixDomainSocketAddress.of(Path.of(text));
    }
}
