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

    /**
     * A guest hypervisor's use of the GICv2 virtualization extensions (src/test/resources/baremetal/gich.S: GICH
     * reset values and write masks, list registers acknowledged, ended and deactivated through GICV, EOImode,
     * EOICount, maintenance conditions) on QEMU 7.2's default GIC with virtualization=on and on jvisor: the same
     * output, except where QEMU departs from the GIC architecture v2 (IHI 0048B), each such line with the reason.
     */
    @Test
    @NeedsQemu
    void gicV2VirtualizationExtensionsAsOnQemu() throws Exception {
        Path elf = Asm.linkElf(Path.of(getClass().getResource("/baremetal/gich.S").toURI()), LD_ARGS);
        String qemu = QemuVirt.run(elf, "virt,virtualization=on", 1, null);
        assertTrue(qemu.endsWith("done\n"), "QEMU's run did not finish:\n" + qemu);
        java.util.Map<String, String> specOverQemu = java.util.Map.of(
                // GICV_ABPR's minimum is GICV_BPR's plus one, 3 with GICH_VTR.PREbits 5 (IHI 0048B, GICV_ABPR):
                // a GICV_ABPR write of 0 leaves 3 in GICH_VMCR.VMABP [20:18]; QEMU clamps to the physical GICC_ABPR's 1
                "gich_vmcr 00000000f844021f", "gich_vmcr 00000000f84c021f",
                // GICV_HPPIR, as GICC_HPPIR, gives an SGI's source CPUID in [12:10] as GICV_IAR does (IHI 0048B,
                // GICC_HPPIR); QEMU leaves it out (of its physical GICC_HPPIR too, which jvisor's GICv2 also gives whole)
                "gicv_hppir 0000000000000005", "gicv_hppir 0000000000000c05");
        StringBuilder expected = new StringBuilder();
        for (String line : qemu.split("\n")) expected.append(specOverQemu.getOrDefault(line, line)).append('\n');
        RunCommandTest.Result r = RunCommandTest.run("run", "-M", "virt,virtualization=on", "-nodefaults", "-serial", "stdio",
                "-m", "128M", "-kernel", elf.toString());
        assertEquals(expected.toString(), r.out(), r.err());
        assertEquals(0, r.status(), r.err());
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

    /**
     * The monitor sees EL2 as the guest's own: stopped at the start, {@code info registers} shows the mode
     * QEMU's monitor shows for the same ELF (EL2h; QEMU is then still in its boot stub at 0x40000000, so the PC
     * is checked against the ELF's entry instead), not jvisor's view through ELR_EL2; and {@code info stage2},
     * which shows jvisor's own stage 2, says there is none in this mode.
     */
    @NeedsQemu
    @Test
    void theMonitorShowsTheGuestsEl2() throws Exception {
        Path elf = Asm.linkElf(Path.of(getClass().getResource("/baremetal/el2psci.S").toURI()), LD_ARGS);
        String script = "info registers\ninfo stage2 0x40000000\nquit\n";
        RunCommandTest.Result q = Processes.run(java.util.List.of("qemu-system-aarch64", "-M", "virt,virtualization=on", "-cpu", "cortex-a57",
                "-m", "128M", "-nodefaults", "-display", "none", "-monitor", "stdio", "-S", "-kernel", elf.toString()), java.util.Map.of(), script);
        String javaCommand = ProcessHandle.current().info().command().orElseThrow();
        RunCommandTest.Result j = Processes.run(java.util.List.of(javaCommand, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "org.jvisor.cli.Main", "run", "-M", "virt,virtualization=on", "-nodefaults", "-m", "128M", "-monitor", "stdio", "-S",
                "-kernel", elf.toString()), java.util.Map.of(), script);
        long entry = java.nio.ByteBuffer.wrap(java.nio.file.Files.readAllBytes(elf)).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0x18);  // e_entry
        assertEquals(String.format("%016x", entry), field(j.out(), "PC="), j.out());
        long qemuMode = Long.parseLong(field(q.out(), "PSTATE="), 16) & 0xf, ourMode = Long.parseLong(field(j.out(), "PSTATE="), 16) & 0xf;
        assertEquals(qemuMode, ourMode, "PSTATE.M: QEMU's\n" + q.out() + "\njvisor's\n" + j.out());
        assertTrue(j.out().contains("EL2h") && !j.out().contains("in the hypervisor"), j.out());
        assertTrue(j.out().contains("the guest owns EL2 (virtualization=on): stage 2 is its own"), j.out());
    }

    /** The value after {@code name} in a monitor's register dump (QEMU's and jvisor's share the layout). */
    private static String field(String dump, String name) {
        int at = dump.indexOf(name);
        assertTrue(at >= 0, name + " in:\n" + dump);
        return dump.substring(at + name.length()).split("\\s+")[0];
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
