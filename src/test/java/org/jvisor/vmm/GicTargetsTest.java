package org.jvisor.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.jvisor.cpu.Asm;
import org.jvisor.cpu.QemuVirt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsQemu;

/**
 * Interrupt delivery on a GICv2 that nobody told where to send interrupts: a bare-metal program
 * (src/test/resources/gic/targets.S) enables an SPI pended through GICD_ISPENDR and the PL031's alarm line
 * without writing their GICD_ITARGETSR, on QEMU's virt board ({@code gic-version=2}, Cortex-A57) and on
 * jvisor's, with one CPU and with two. With one, the GIC is a uniprocessor one: "all interrupts target the
 * one processor, and the GICD_ITARGETSRs are RAZ/WI" (IHI 0048B 4.3.12), the banked ITARGETSR0-7
 * included, so both IRQs arrive. With two, an SPI whose targets field is 0 reaches no CPU interface.
 */
@NeedsCross
@NeedsQemu
class GicTargetsTest {
    static final List<String> LD_ARGS = List.of("-Ttext=0x40200000", "-Tdata=0x40400000", "-e", "_start");

    @ParameterizedTest(name = "{0} CPU(s)")
    @ValueSource(ints = {1, 2})
    void spisWithoutItargetsrWritesMatchQemu(int cpus) throws Exception {
        Path elf = Asm.linkElf(Path.of(GicTargetsTest.class.getResource("/gic/targets.S").toURI()), LD_ARGS);
        String qemu = QemuVirt.run(elf, "virt,gic-version=2", cpus, null);
        assertTrue(qemu.endsWith("done\n"), "QEMU's run did not finish:\n" + qemu);
        if (cpus == 1) {
            assertTrue(qemu.contains("INTID 100 (ISPENDR): IRQ arrived") && qemu.contains("INTID 34 (PL031 alarm): IRQ arrived"),
                    "QEMU's uniprocessor GIC delivers both:\n" + qemu);
        }
        // A targets bit of an unimplemented CPU interface is RAZ/WI (4.3.12); QEMU's two-CPU GIC keeps all 8.
        String expected = qemu.replace("GICD_ITARGETSR24 after ~0=00000000ffffffff", "GICD_ITARGETSR24 after ~0=0000000003030303");

        BoardConfig config = new BoardConfig(64L << 20, cpus, 2, false, List.of(), elf, null, "", false);
        BoardRun.Result r = BoardRun.run(config, null, 60);
        assertEquals(0, r.status(), r.log());
        assertEquals(expected, r.console());
    }
}
