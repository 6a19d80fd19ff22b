package org.jvisor.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.Asm;
import org.jvisor.cpu.QemuVirt;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsQemu;

/**
 * Loads and stores outside RAM that nothing can satisfy (src/test/resources/baremetal/aborts.S: exclusives,
 * pairs, acquire/release, FP/SIMD registers, to an address no device claims and to the PL011) on QEMU's
 * virt board (TCG) and on jvisor's: each is a synchronous external abort the guest's handler takes, and the
 * VM goes on to power off.
 *
 * <p>Unclaimed: the output must be QEMU's to the byte (ESR_EL1 0x96000010, or 0x96000050 for a write; FAR_EL1
 * the address; the return address the access). A store-exclusive without a monitor fails (status 1) without
 * an access on both: the Arm ARM's AArch64.ExclusiveMonitorsPass checks the monitor before the translation.
 * Device: QEMU's TCG reads a device register with LDAXR, LDXP or an FP/SIMD load as with a plain load;
 * jvisor, a hypervisor, cannot emulate those (no valid syndrome) and does what QEMU on KVM does (KVM_EXIT_ARM_NISV
 * answered with an external abort): those three lines are the abort's, the rest is QEMU's.
 */
@NeedsCross
@NeedsQemu
class MmioAbortTest {
    static final List<String> LD_ARGS = List.of("-Ttext=0x40200000", "-Tdata=0x40400000", "-e", "_start");

    @Test
    void accessesNothingCanSatisfyAreExternalAbortsAsOnQemu() throws Exception {
        Path elf = Asm.linkElf(Path.of(MmioAbortTest.class.getResource("/baremetal/aborts.S").toURI()), LD_ARGS);
        String qemu = QemuVirt.run(elf, "virt", 1, null);
        assertTrue(qemu.contains("ldaxr: ESR_EL1=0000000096000010 FAR_EL1=0000000009100000 ELR-access=0000000000000000\n")
                && qemu.endsWith("aborts: done\n"), "QEMU's run:\n" + qemu);
        String abort = "ESR_EL1=0000000096000010 FAR_EL1=0000000009000fe0 ELR-access=0000000000000000\n";
        String expected = qemu;
        for (String tcgReads : List.of("ldaxr: ", "ldxp: ", "ldr q: ")) {
            String device = expected.substring(expected.indexOf("aborts: device\n"));
            int at = device.indexOf(tcgReads);
            String line = device.substring(at, device.indexOf('\n', at) + 1);
            assertTrue(line.startsWith(tcgReads + "no abort"), "QEMU's TCG emulates it: " + line);
            expected = expected.replace(device, device.replace(line, tcgReads + abort));
        }

        BoardConfig config = new BoardConfig(64L << 20, 1, 2, false, List.of(), elf, null, "", false);
        BoardRun.Result r = BoardRun.run(config, null, 60);
        assertEquals(0, r.status(), r.log());
        assertEquals(expected, r.console(), r.log());
        assertTrue(r.log().contains("jvisor: vCPU 0: 8-byte MMIO read at 0x9100000: no device there or access refused (guest gets an external abort)"),
                r.log());
    }
}
