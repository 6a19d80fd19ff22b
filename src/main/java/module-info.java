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

    exports org.jvisor.cpu;
    exports org.jvisor.hyp;
    exports org.jvisor.vmm;
    exports org.jvisor.vmm.devices;
    exports org.jvisor.vmm.virtio;
    exports org.jvisor.vmm.fdt;
    exports org.jvisor.vmm.debug;
    exports org.jvisor.guest;
    exports org.jvisor.lab;
    exports org.jvisor.difftest;
    exports org.jvisor.cli;
    opens org.jvisor.cli to info.picocli;
}
