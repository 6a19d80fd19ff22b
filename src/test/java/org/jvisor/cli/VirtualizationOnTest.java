package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.Asm;
import org.jvisor.cpu.QemuVirt;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsDtc;
import org.jvisor.testing.NeedsQemu;

/**
 * {@code jvisor run -M virt,virtualization=on} with a bare-metal program that owns EL2
 * (src/test/resources/baremetal/el2psci.S: starts at EL2h, PSCI over SMC): the same output as QEMU 7.2's
 * {@code -M virt,virtualization=on} for the same ELF, status 0 on its SYSTEM_OFF, and a device tree whose
 * PSCI conduit is SMC, as QEMU's is in that mode.
 */
@NeedsCross
class VirtualizationOnTest {
    static final java.util.List<String> LD_ARGS = java.util.List.of("-Ttext=0x40200000", "-Tdata=0x40400000", "-e", "_start");

    @Test
    @NeedsQemu
    void el2ProgramRunsAsOnQemu() throws Exception {
        Path elf = Asm.linkElf(Path.of(getClass().getResource("/baremetal/el2psci.S").toURI()), LD_ARGS);
        String expected = QemuVirt.run(elf, "virt,virtualization=on", 1, null);
        assertTrue(expected.contains("CurrentEL 0000000000000008"), "QEMU's run:\n" + expected);

        RunCommandTest.Result r = RunCommandTest.run("run", "-M", "virt,virtualization=on", "-nodefaults", "-serial", "stdio",
                "-m", "128M", "-kernel", elf.toString());
        assertEquals(expected, r.out(), r.err());
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err());
    }

    /** The PSCI node is QEMU 7.2's for {@code virt,virtualization=on}: its conduit is SMC, the firmware's (hw/arm/virt.c). */
    @NeedsDtc
    @NeedsQemu
    @Test
    void psciNodeIsQemus(@TempDir Path dir) throws Exception {
        Path elf = Asm.linkElf(Path.of(getClass().getResource("/baremetal/el2psci.S").toURI()), LD_ARGS);
        Path ours = dir.resolve("jvisor.dtb"), qemus = dir.resolve("qemu.dtb");
        assertEquals(0, RunCommandTest.run("run", "-M", "virt,virtualization=on,dumpdtb=" + ours, "-kernel", elf.toString()).status());
        QemuVirt.dumpDtb(qemus, "virt,virtualization=on");
        String psci = psciNode(qemus);
        assertTrue(psci.contains("method = \"smc\";"), psci);
        // jvisor leaves out the PSCI 0.1 function ids and "arm,psci" (VirtDeviceTree says why); the rest must agree.
        assertEquals(conduitAndCompatible(psci.replace("\\0arm,psci\";", "\";")), conduitAndCompatible(psciNode(ours)));
    }

    private static java.util.List<String> conduitAndCompatible(String node) {
        return node.lines().map(String::strip).filter(l -> l.startsWith("method") || l.startsWith("compatible")).sorted().toList();
    }

    private static String psciNode(Path dtb) throws Exception {
        Process p = new ProcessBuilder("dtc", "-I", "dtb", "-O", "dts", dtb.toString()).redirectErrorStream(true).start();
        String dts = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), dts);
        int at = dts.indexOf("psci {");
        assertTrue(at >= 0, dts);
        return dts.substring(at, dts.indexOf("};", at));
    }
}
