package org.jvisor.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.Asm;
import org.jvisor.cpu.QemuVirt;
import org.jvisor.cpu.Ram;
import org.jvisor.hyp.GuestClock;
import org.jvisor.hyp.Hypervisor;
import org.jvisor.hyp.Vcpu;
import org.jvisor.hyp.VcpuExit;
import org.jvisor.hyp.Vm;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsQemu;
import org.jvisor.vmm.devices.Pl011;

/**
 * A bare-metal program that owns EL2 (src/test/resources/baremetal/el2psci.S: starts at EL2h, PSCI over
 * SMC, the SMC's order of HCR_EL2.TSC, firmware and UNDEFINED), on QEMU's {@code virt,virtualization=on}
 * and on a jvisor VM whose guest owns EL2 with a PL011 at QEMU's address: same output, and a power-off.
 */
@NeedsCross
@NeedsQemu
class El2BareMetalTest {
    static final List<String> LD_ARGS = List.of("-Ttext=0x40200000", "-Tdata=0x40400000", "-e", "_start");
    static final long RAM_BASE = 0x4000_0000L, RAM_SIZE = 128L << 20, UART = 0x0900_0000L;

    @Test
    void el2ProgramMatchesQemuVirtualizationOn() throws Exception {
        Path elf = Asm.linkElf(Path.of(getClass().getResource("/baremetal/el2psci.S").toURI()), LD_ARGS);
        String expected = QemuVirt.run(elf, "virt,virtualization=on", 1, null);
        assertTrue(expected.contains("CurrentEL 0000000000000008"), "QEMU's run:\n" + expected);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Vm vm = new Hypervisor().createVmOwningEl2(GuestClock.HOST);
        Ram ram = Ram.allocate(RAM_SIZE);
        try {
            vm.setUserMemoryRegion(0, RAM_BASE, RAM_SIZE, ram);
            vm.addDevice(UART, 0x1000, new Pl011(out, level -> {}));
            var image = (KernelImage.Elf) KernelImage.parse("el2psci", Files.readAllBytes(elf), RAM_SIZE);
            for (KernelImage.Elf.Segment s : image.segments())
                vm.writeGuest(s.address(), image.data(), s.fileOffset(), s.fileSize());
            Vcpu vcpu = vm.createVcpu(0);
            vcpu.setPc(image.entry());
            VcpuExit e = vcpu.run();
            String actual = out.toString(StandardCharsets.ISO_8859_1);
            assertEquals(new VcpuExit.SystemEvent(VcpuExit.SystemEvent.Type.SHUTDOWN), e, () -> actual + "\n" + vcpu.registerDump());
            assertEquals(expected, actual);
            // Trap accounting with no patch to the program: its one exception to EL2 from EL1 (the SMC that TSC traps,
            // HCR_EL2.VM clear) is its own kernel-level code calling its EL2, not a trap of a guest of its own.
            assertEquals(1, vcpu.stats().hostCalls());
            assertEquals(0, vcpu.stats().totalExits() + vcpu.stats().interrupts());
        } finally {
            vm.close();
            ram.release();
        }
    }
}
