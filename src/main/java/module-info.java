/**
 * jvisor, a hypervisor for 64-bit Arm in Java: the processor ({@code org.jvisor.cpu}), the KVM analog
 * ({@code org.jvisor.hyp}), the QEMU/kvmtool analog ({@code org.jvisor.vmm}) and the {@code jvisor} command
 * ({@code org.jvisor.cli}), each layer depending only on those before it.
 */
module org.jvisor {
    requires java.desktop;
    requires java.management;
    requires info.picocli;
    requires transitive org.apache.commons.compress;  // guest.DebianPackage.Visitor hands out its TarArchiveEntry
    requires org.tukaani.xz;
    requires org.knowm.xchart;

    // The API: the layers and the parts an embedder builds a machine of, as rust-vmm's crates are: the
    // processor; the KVM analog; the virt board; its device models, virtio transport and devices, device
    // tree builder; the GDB stub and monitor that attach to a board; the default Debian guest.
    exports org.jvisor.cpu;
    exports org.jvisor.hyp;
    exports org.jvisor.vmm;
    exports org.jvisor.vmm.devices;
    exports org.jvisor.vmm.virtio;
    exports org.jvisor.vmm.net;
    exports org.jvisor.vmm.fdt;
    exports org.jvisor.vmm.debug;
    exports org.jvisor.guest;
    // Not exported, programs rather than an API: org.jvisor.lab (the experiment, demo, chart and bench
    // loops behind their commands), org.jvisor.difftest (the differential tester behind `jvisor difftest`),
    // org.jvisor.cli (the picocli commands: `java -m org.jvisor/org.jvisor.cli.Main` launches them; picocli
    // alone may reflect on them). ArchitectureTest keeps it so.
    opens org.jvisor.cli to info.picocli;
}
