package org.jvisor.hyp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jvisor.cpu.MmioHandler;
import org.jvisor.cpu.Ram;

/**
 * QEMU virt's memory map in a VM, for bare-metal ELF programs: 128 MiB of RAM at 0x40000000, {@code cpus}
 * vCPUs (vCPU 0 on), a GIC of the given version, and a stand-in for the PL011 at 0x09000000 that
 * collects the bytes written to its data register (its flag register reads 0: never busy).
 */
final class GicMachine {
    static final long RAM = 0x4000_0000L, RAM_SIZE = 128L << 20, UART = 0x0900_0000L;
    static final List<String> LD_ARGS = List.of("-Ttext=0x40200000", "-Tdata=0x40400000", "-e", "_start");

    final Vm vm;
    final Vcpu[] vcpus;
    final Vgic gic;
    private final ByteArrayOutputStream uart = new ByteArrayOutputStream();

    GicMachine(int gicVersion, int cpus) { this(new Hypervisor().createVm(), gicVersion, cpus); }

    /** The machine around {@code vm} (e.g. one run by trap-and-emulate). */
    GicMachine(Vm vm, int gicVersion, int cpus) {
        this.vm = vm;
        vm.setUserMemoryRegion(0, RAM, RAM_SIZE, Ram.allocate(RAM_SIZE));
        vcpus = new Vcpu[cpus];
        for (int i = 0; i < cpus; i++) vcpus[i] = vm.createVcpu(i);
        gic = Vgic.create(vm, gicVersion);
        vm.addDevice(UART, 0x1000, new MmioHandler() {
            @Override
            public long read(long offset, int size) { return 0; }

            @Override
            public void write(long offset, int size, long value) {
                if (offset == 0) {
                    synchronized (uart) {
                        uart.write((int) value & 0xff);
                    }
                }
            }
        });
    }

    String output() {
        synchronized (uart) {
            return uart.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** Loads the ELF's PT_LOAD segments and points vCPU 0 at its entry. */
    GicMachine load(Path elf) throws IOException {
        byte[] f = Files.readAllBytes(elf);
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        long phoff = b.getLong(0x20);
        int phentsize = b.getShort(0x36) & 0xffff, phnum = b.getShort(0x38) & 0xffff;
        for (int i = 0; i < phnum; i++) {
            int ph = (int) phoff + i * phentsize;
            if (b.getInt(ph) != 1) continue;
            long offset = b.getLong(ph + 0x08), paddr = b.getLong(ph + 0x18), filesz = b.getLong(ph + 0x20);
            vm.writeGuest(paddr, f, (int) offset, (int) filesz);
        }
        vcpus[0].setPc(b.getLong(0x18));
        return this;
    }

    /** Runs vCPU 0 until the guest powers off; any other exit fails with the register dump. */
    void runToPowerOff() {
        VcpuExit e = vcpus[0].run();
        if (!Guest.isShutdown(e)) throw new AssertionError("unexpected exit " + e + "\n" + vcpus[0].registerDump() + "\noutput:\n" + output());
    }

    /** The program's UART output on qemu-system-aarch64 -M virt,gic-version=N -smp cpus. */
    static String runQemu(Path elf, int gicVersion, int cpus) throws IOException, InterruptedException {
        return org.jvisor.cpu.QemuVirt.run(elf, "virt,gic-version=" + gicVersion, cpus, null);
    }
}
