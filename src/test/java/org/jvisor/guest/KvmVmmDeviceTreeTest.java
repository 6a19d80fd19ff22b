package org.jvisor.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * by property with QEMU 7.2's virt board for the same machine (gic-version=3, 2 CPUs, 256 MiB), for the
 * devices kvm-vmm has. kvm-vmm runs here under qemu-aarch64-static: it writes the tree (-d) before it opens
 * /dev/kvm, which is not there (or not usable from an emulated arm64 process), so it then stops.
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
        Path vmm = tmp.resolve("kvm-vmm"), image = tmp.resolve("Image"), initrd = tmp.resolve("initrd");
        Files.write(vmm, DefaultGuest.resource("kvm/kvm-vmm"));
        vmm.toFile().setExecutable(true);
        Files.write(image, TestDebs.image());
        Files.write(initrd, new byte[12345]);
        Path ours = tmp.resolve("ours.dtb");
        Process p = new ProcessBuilder("qemu-aarch64-static", vmm.toString(), "-k", image.toString(), "-i", initrd.toString(),
                "-m", "256", "-c", "2", "-a", "console=ttyAMA0 quiet", "-d", ours.toString()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String said;
        try {
            said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "kvm-vmm did not stop");
        } finally {
            p.destroyForcibly();
        }
        assertTrue(Files.isRegularFile(ours), "kvm-vmm -d wrote no tree: " + said);
        assertTrue(said.startsWith("kvm-vmm: ") && said.lines().count() == 1, "one line saying why it stopped: " + said);

        Dtc.Result decompiled = Dtc.decompile(ours);
        assertEquals("", decompiled.err(), "dtc warnings");
        Map<String, Map<String, String>> tree = Dtc.parse(decompiled.out());
        Path theirs = tmp.resolve("qemu.dtb");
        QemuVirt.dumpDtb(theirs, "virt,gic-version=3", "-m", "256M", "-smp", "2");
        Map<String, Map<String, String>> qemu = Dtc.parse(Dtc.decompile(theirs).out());

        for (var node : SAME.entrySet()) {
            for (String prop : node.getValue()) {
                assertTrue(qemu.get(node.getKey()).containsKey(prop), "QEMU has " + node.getKey() + " " + prop);
                assertEquals(qemu.get(node.getKey()).get(prop), tree.get(node.getKey()).get(prop), node.getKey() + " " + prop);
            }
        }
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
}
