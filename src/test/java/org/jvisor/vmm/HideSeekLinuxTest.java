package org.jvisor.vmm;

import org.jvisor.guest.Apt;
import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.guest.ProgressListener;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6's Linux checks on the default guest: busybox's devmem on the hide/seek registers (a one-byte
 * write to HIDE, a one-byte read of SEEK printing the byte as {@code 0x5A}), the virt_walker module
 * (guest/virt_walker/build.sh, for the guest's own kernel, copied to /home/root) loaded with insmod and used
 * through /dev/virt_walker, a wrong width killing only the program (SIGBUS from the external abort) with
 * one line in the hypervisor's log, and a board without the device ({@code hide-seek=off}).
 */
class HideSeekLinuxTest {
    private static final long TIMEOUT_SECONDS = 600;

    record Boot(int status, String console, String log) {
        /** What the shell printed after /init's JVISOR-READY, without the kernel's messages. */
        List<String> shell() {
            int ready = console.indexOf("JVISOR-READY\n");
            assertTrue(ready >= 0, console);
            return console.substring(ready).lines().skip(1).filter(l -> !l.startsWith("[")).toList();
        }
    }

    static Boot boot(GuestImage g, int cpus, boolean hideSeek, String run) throws Exception {
        BoardConfig config = new BoardConfig(256L << 20, cpus, 3, hideSeek, List.of(), g.kernel(), g.initrd(),
                "console=ttyAMA0 panic=-1 jvisor.run=\"" + run + "\"", false);
        BoardRun.Result r = BoardRun.run(config, null, TIMEOUT_SECONDS);
        return new Boot(r.status(), r.console(), r.log());
    }

    static Path buildModule(Path dir) throws Exception {
        Process p = new ProcessBuilder("bash", "guest/virt_walker/build.sh", dir.toString()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES) && p.exitValue() == 0, out);
        return dir.resolve("virt_walker.ko");
    }

    @Test
    void devmemAndTheVirtWalkerModule(@TempDir Path dir) throws Exception {
        Path home = Files.createDirectories(dir.resolve("home"));
        buildModule(home);
        GuestImage g = new DefaultGuest(DefaultGuest.userCacheDir(), Apt.system()).withHomeFiles(home).get(ProgressListener.NONE);
        Boot b = boot(g, 2, true, "devmem 0x0b000000 8 0x5a; devmem 0x0b000001 8; insmod virt_walker.ko;"
                + " echo -n Z > /dev/virt_walker; head -c 1 /dev/virt_walker; echo; devmem 0x0b000001 8;"
                + " devmem 0x0b000000 16; echo status=$?; devmem 0x0b000001 8");
        String all = b.console() + b.log();
        assertEquals(0, b.status(), all);
        assertTrue(b.console().contains("virt_walker: /dev/virt_walker ready"), all);
        assertEquals(List.of("0x5A", "Z", "0x5A", "Bus error", "status=135", "0x5A", "JVISOR-EXIT 0"),
                b.shell().subList(0, Math.min(7, b.shell().size())),
                "devmem seeks the 0x5a it hid; the module hides Z (0x5a) and seeks it; a 2-byte read is an external"
                        + " abort, SIGBUS (128 + 7) for devmem, and the device goes on:\n" + all);
        assertEquals(List.of("hide-seek: vCPU %d: 2-byte read at 0x0b000000 refused (SEEK is a 1-byte read at +1): external abort in the guest"),
                b.log().lines().map(l -> l.replaceFirst("vCPU \\d", "vCPU %d")).toList(), "one line for the refused access");
    }

    @Test
    void hideSeekOffLeavesNothingThere() throws Exception {
        Boot b = boot(DefaultGuest.obtain(ProgressListener.NONE), 1, false,
                "ls /proc/device-tree | grep -c hide-seek; devmem 0x0b000001 8; echo status=$?");
        String all = b.console() + b.log();
        assertEquals(0, b.status(), all);
        assertEquals(List.of("0", "Bus error", "status=135", "JVISOR-EXIT 0"), b.shell().subList(0, Math.min(4, b.shell().size())),
                "no device tree node, and the address answers nothing: " + all);
    }
}
