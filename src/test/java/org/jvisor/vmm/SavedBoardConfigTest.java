package org.jvisor.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;
import org.jvisor.vmm.net.Netdev;
import org.jvisor.vmm.net.Nic;
import org.jvisor.vmm.net.PortForward;

/**
 * The board configuration a snapshot keeps: read back, it equals the record that was written, every
 * component (NICs and their networks too); a loadvm tells apart only what the saved state depends on; a
 * damaged or forged one is refused with a StateException.
 */
class SavedBoardConfigTest {
    static BoardConfig everything() {
        List<Nic> nics = List.of(
                new Nic(new Netdev.User("n0", List.of(new PortForward(false, "", 10022, 22), new PortForward(true, "127.0.0.1", 5353, 53))),
                        0x5254_0012_3456L, 65520),
                new Nic(new Netdev.Stream("n1", true, new InetSocketAddress("127.0.0.1", 5555)), 0x5254_0012_3457L, 1500),
                new Nic(new Netdev.Stream("n2", false, UnixDomainSocketAddress.of("/tmp/passt.socket")), 0x5254_0012_3458L, 9000));
        return new BoardConfig(512L << 20, 2, 3, false, List.of(new BoardConfig.Drive(Path.of("/tmp/disk.img"), true)),
                Path.of("/tmp/Image"), null, "console=ttyAMA0 quiet", true, true, false, Duration.ofSeconds(-3600, 5),
                Instant.parse("2006-06-17T16:01:21Z"), false, true, nics);
    }

    static byte[] saved(BoardConfig c) {
        StateWriter w = new StateWriter();
        SavedBoardConfig.write(c, w);
        return w.toByteArray();
    }

    @Test
    void everyComponentComesBack() {
        BoardConfig c = everything();
        StateReader r = new StateReader(saved(c));
        assertEquals(c, SavedBoardConfig.read(r));
        r.end();
        BoardConfig plain = new BoardConfig(64L << 20, 1, 2, true, List.of(), null, null, null, false);
        assertEquals(plain, SavedBoardConfig.read(new StateReader(saved(plain))));
    }

    @Test
    void aLoadvmComparesWhatTheStateDependsOn() {
        BoardConfig c = everything();
        assertNull(SavedBoardConfig.difference(c, c));
        BoardConfig otherBoot = new BoardConfig(c.ramSize(), c.cpus(), c.gicVersion(), c.hideSeek(), c.drives(), Path.of("/other/Image"),
                Path.of("/other/initrd"), "", c.instructionClock(), c.virtioRng(), c.virtioConsole(), Duration.ZERO, null,
                c.virtualization(), c.trapAndEmulate(), c.nics());
        assertNull(SavedBoardConfig.difference(c, otherBoot), "the kernel, initrd, command line and RTC's source are in RAM or the host's");
        BoardConfig smaller = new BoardConfig(256L << 20, c.cpus(), c.gicVersion(), c.hideSeek(), c.drives(), c.kernel(), c.initrd(),
                c.bootargs(), c.instructionClock(), c.virtioRng(), c.virtioConsole(), c.rtcOffset(), c.rtcStart(), c.virtualization(),
                c.trapAndEmulate(), c.nics());
        assertEquals("ramSize 536870912, here 268435456", SavedBoardConfig.difference(c, smaller));
        BoardConfig oneNic = new BoardConfig(c.ramSize(), c.cpus(), c.gicVersion(), c.hideSeek(), c.drives(), c.kernel(), c.initrd(),
                c.bootargs(), c.instructionClock(), c.virtioRng(), c.virtioConsole(), c.rtcOffset(), c.rtcStart(), c.virtualization(),
                c.trapAndEmulate(), c.nics().subList(0, 1));
        assertTrue(SavedBoardConfig.difference(c, oneNic).startsWith("nics "), SavedBoardConfig.difference(c, oneNic));
    }

    @Test
    void aDamagedOrForgedConfigurationIsRefused() {
        byte[] s = saved(everything());
        for (int cut = 0; cut < s.length; cut += 7) {
            byte[] part = Arrays.copyOf(s, cut);
            assertThrows(StateException.class, () -> SavedBoardConfig.read(new StateReader(part)), "cut at " + cut);
        }
        BoardConfig huge = new BoardConfig(BoardConfig.MAX_RAM + 4096, 1, 2, false, List.of(), null, null, null, false);
        assertThrows(StateException.class, () -> SavedBoardConfig.read(new StateReader(saved(huge))));
        BoardConfig tinyMtu = new BoardConfig(64L << 20, 1, 2, false, List.of(), null, null, null, false, true, true, Duration.ZERO, null,
                false, false, List.of(new Nic(new Netdev.User("n0", List.of()), 0x5254_0012_3456L, 20)));
        assertThrows(StateException.class, () -> SavedBoardConfig.read(new StateReader(saved(tinyMtu))));
        BoardConfig noAddress = new BoardConfig(64L << 20, 1, 2, false, List.of(), null, null, null, false, true, true, Duration.ZERO, null,
                false, false, List.of(new Nic(new Netdev.Stream("n0", false, null), 0x5254_0012_3456L, 1500)));
        assertEquals("bad board configuration: no address",
                assertThrows(StateException.class, () -> SavedBoardConfig.read(new StateReader(saved(noAddress)))).getMessage());
    }
}
