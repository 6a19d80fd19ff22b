package org.jvisor.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.QemuVirt;
import org.jvisor.testing.NeedsDtc;
import org.jvisor.testing.NeedsQemu;
import org.jvisor.vmm.Dtc;

/**
 * The device tree kvm-vmm (guest/kvm/) writes for the nested guest, read back by dtc and compared property
 * by property with QEMU 7.2's virt board for the same machine (2 CPUs, 256 MiB; gic-version=3, or 2 for
 * kvm-vmm's vgic-v2 fallback), for the devices kvm-vmm has. kvm-vmm runs here under qemu-aarch64-static:
 * without a usable /dev/kvm (not there, or not usable from an emulated arm64 process) it writes the tree
 * (-d) for the GIC -g names (a GICv3 by default) and stops.
 */
@NeedsQemu
@NeedsDtc
class KvmVmmDeviceTreeTest {
    @TempDir Path tmp;

    /** Node, properties: the same in both trees. */
    private static final Map<String, List<String>> SAME = Map.of(
            "/", List.of("#address-cells", "#size-cells", "compatible", "interrupt-parent"),
            "/memory@40000000", List.of("device_type", "reg"),
            "/cpus", List.of("#address-cells", "#size-cells"),
            "/cpus/cpu@0", List.of("device_type", "reg", "enable-method"),
            "/cpus/cpu@1", List.of("device_type", "reg", "enable-method"),
            "/psci", List.of("method"),
            "/timer", List.of("compatible", "interrupts", "always-on"),
            "/intc@8000000", List.of("compatible", "#interrupt-cells", "interrupt-controller"),
            "/apb-pclk", List.of("compatible", "#clock-cells", "clock-frequency", "clock-output-names"),
            "/pl011@9000000", List.of("compatible", "reg", "interrupts", "clocks", "clock-names"));

    @Test
    void kvmVmmsTreeMatchesQemusVirtBoardForItsDevices() throws Exception {
        Map<String, Map<String, String>> tree = kvmVmmTree(List.of());
        Map<String, Map<String, String>> qemu = qemuTree("virt,gic-version=3");
        sameAsQemu(tree, qemu);
        assertEquals("\"arm,gic-v3\"", tree.get("/intc@8000000").get("compatible"));
        // The distributor where QEMU's is; the redistributors from the same base, one 128 KiB frame pair per vCPU
        // (QEMU's region is larger: room for 123).
        assertEquals("<0x00 0x8000000 0x00 0x10000 0x00 0x80a0000 0x00 0x40000>", tree.get("/intc@8000000").get("reg"));
        assertTrue(qemu.get("/intc@8000000").get("reg").startsWith("<0x00 0x8000000 0x00 0x10000 0x00 0x80a0000 "));
        assertEquals("\"console=ttyAMA0 quiet\"", tree.get("/chosen").get("bootargs"));
        assertEquals("\"/pl011@9000000\"", tree.get("/chosen").get("stdout-path"));
        // booting.rst: the initrd after the kernel's image_size, 2 MiB aligned; here the test Image's size is small
        long start = Long.decode(tree.get("/chosen").get("linux,initrd-start").replaceAll("[<>]|0x00 ", "").trim());
        long end = Long.decode(tree.get("/chosen").get("linux,initrd-end").replaceAll("[<>]|0x00 ", "").trim());
        assertEquals(0x40200000L, start);
        assertEquals(12345, end - start);
    }

    /**
     * The GICv2 kvm-vmm falls back to when KVM has no vgic-v3 (a guest of jvisor or QEMU on their default GIC):
     * QEMU's GICv2 node (the distributor and CPU interface frames, without QEMU's host-side virtualization
     * frames and GICv2m) and its timer's PPI flags, which name the CPUs in bits [15:8].
     */
    @Test
    void gicV2TreeMatchesQemusVirtBoard() throws Exception {
        Map<String, Map<String, String>> tree = kvmVmmTree(List.of("-g", "2"));
        Map<String, Map<String, String>> qemu = qemuTree("virt,gic-version=2");
        sameAsQemu(tree, qemu);
        assertEquals(qemu.get("/intc@8000000").get("reg"), tree.get("/intc@8000000").get("reg"));
        assertEquals("<0x01 0x0d 0x304 0x01 0x0e 0x304 0x01 0x0b 0x304 0x01 0x0a 0x304>", tree.get("/timer").get("interrupts"));
    }

    @Test
    void badGicVersionIsOneLine() throws Exception {
        assertEquals("kvm-vmm: -g: the GIC version, 2 or 3", run(List.of("-g", "4", "-k", "Image")).strip());
    }

    private static void sameAsQemu(Map<String, Map<String, String>> tree, Map<String, Map<String, String>> qemu) {
        for (var node : SAME.entrySet()) {
            for (String prop : node.getValue()) {
                assertTrue(qemu.get(node.getKey()).containsKey(prop), "QEMU has " + node.getKey() + " " + prop);
                assertEquals(qemu.get(node.getKey()).get(prop), tree.get(node.getKey()).get(prop), node.getKey() + " " + prop);
            }
        }
    }

    private Map<String, Map<String, String>> qemuTree(String machine) throws Exception {
        Path theirs = tmp.resolve("qemu.dtb");
        QemuVirt.dumpDtb(theirs, machine, "-m", "256M", "-smp", "2");
        return Dtc.parse(Dtc.decompile(theirs).out());
    }

    /** kvm-vmm's tree for 2 vCPUs and 256 MiB with {@code options}: it stops for want of /dev/kvm, saying so in one line. */
    private Map<String, Map<String, String>> kvmVmmTree(List<String> options) throws Exception {
        Path image = tmp.resolve("Image"), initrd = tmp.resolve("initrd");
        Files.write(image, TestDebs.image());
        Files.write(initrd, new byte[12345]);
        Path ours = tmp.resolve("ours.dtb");
        List<String> args = new ArrayList<>(List.of("-k", image.toString(), "-i", initrd.toString(),
                "-m", "256", "-c", "2", "-a", "console=ttyAMA0 quiet", "-d", ours.toString()));
        args.addAll(options);
        String said = run(args);
        assertTrue(Files.isRegularFile(ours), "kvm-vmm -d wrote no tree: " + said);
        assertTrue(said.startsWith("kvm-vmm: ") && said.lines().count() == 1, "one line saying why it stopped: " + said);
        Dtc.Result decompiled = Dtc.decompile(ours);
        assertEquals("", decompiled.err(), "dtc warnings");
        return Dtc.parse(decompiled.out());
    }

    /** Runs the shipped kvm-vmm under qemu-aarch64-static; what it printed. */
    private String run(List<String> args) throws Exception {
        Path vmm = tmp.resolve("kvm-vmm");
        if (!Files.exists(vmm)) {
            Files.write(vmm, DefaultGuest.resource("kvm/kvm-vmm"));
            vmm.toFile().setExecutable(true);
        }
        List<String> cmd = new ArrayList<>(List.of("qemu-aarch64-static", vmm.toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String said;
        try {
            said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "kvm-vmm did not stop");
        } finally {
            p.destroyForcibly();
        }
        return said;
    }
}
