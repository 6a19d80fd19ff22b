package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.GicVirtualInterfaceQemuTest;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsQemu;

/**
 * {@code jvisor run -M virt,virtualization=on,gic-version=3} with a bare-metal guest hypervisor that drives
 * the GICv3 virtual CPU interface (src/test/resources/baremetal/ich.S: list registers, the ICV_ view at EL1,
 * EOImode, EOIcount, maintenance conditions, ICH traps, a hardware-linked list register): the same output
 * as QEMU 7.2 with the same options, but for the lines where QEMU departs from the GIC specification
 * ({@link GicVirtualInterfaceQemuTest#expectedOutput} lists them), and status 0 on its SYSTEM_OFF.
 */
@NeedsCross
@NeedsQemu
class VirtualGicRunTest {
    @Test
    void guestHypervisorProgramRunsAsOnQemu() throws Exception {
        Path elf = GicVirtualInterfaceQemuTest.elf();
        String expected = GicVirtualInterfaceQemuTest.expectedOutput(elf);
        RunCommandTest.Result r = RunCommandTest.run("run", "-M", "virt,virtualization=on,gic-version=3", "-nodefaults",
                "-serial", "stdio", "-m", "128M", "-kernel", elf.toString());
        assertEquals(expected, r.out(), r.err());
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err());
    }
}
