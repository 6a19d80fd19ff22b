package org.jvisor.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jvisor.cpu.Translation;

/**
 * The two machines that {@code bench boot} and {@code bench workload} start as processes, on the same kernel,
 * initramfs, command line, machine options ({@code -M virt,...}), RAM and vCPUs: {@code jvisor run} in this JVM's
 * java, with its options and class path, in one translation mode; and {@code qemu-system-aarch64 -cpu cortex-a57} (TCG).
 */
final class BenchMachines {
    private BenchMachines() {}

    static final String MEMORY = "512M";

    /** {@code jvisor run} in a new JVM like this one, in translation mode {@code mode}. */
    static List<String> jvisor(Translation mode, String machine, int smp, Path kernel, Path initrd, String append) {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> c = new ArrayList<>();
        c.add(java);
        c.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        c.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", "-M", machine, "-m", MEMORY,
                "-smp", String.valueOf(smp), "-kernel", kernel.toString(), "-initrd", initrd.toString(), "-append", append,
                "--translate", TranslateOption.name(mode)));
        return c;
    }

    /**
     * qemu-system-aarch64 with the board's own devices only, as jvisor's: -nodefaults (QEMU's default NIC would
     * also need the option ROM efi-virtio.rom from ipxe-qemu, which qemu-system-arm only recommends).
     */
    static List<String> qemu(String qemu, String machine, int smp, Path kernel, Path initrd, String append) {
        return List.of(qemu, "-nodefaults", "-display", "none", "-serial", "stdio", "-M", machine, "-cpu", "cortex-a57",
                "-m", MEMORY, "-smp", String.valueOf(smp), "-no-reboot",
                "-kernel", kernel.toString(), "-initrd", initrd.toString(), "-append", append);
    }
}
