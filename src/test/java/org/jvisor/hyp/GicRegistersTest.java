package org.jvisor.hyp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.jvisor.cpu.Asm;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsQemu;

/**
 * Reset values and write masks of the GIC's registers, read by a bare-metal program
 * (src/test/resources/gic/gicv2.S, gicv3.S) on QEMU's virt board with two CPUs and in a jvisor VM with two
 * vCPUs and the same memory map. Where QEMU departs from the GIC architecture specification, the spec's
 * value is expected instead (each such line is listed with the reason).
 */
@NeedsCross
@NeedsQemu
class GicRegistersTest {

    @Test
    void gicv2MatchesQemu() throws Exception {
        compare("gicv2.S", 2, Map.of(
                // ITARGETSR: "A CPU targets field bit that corresponds to an unimplemented CPU interface is
                // RAZ/WI" (GICv2 4.3.12); QEMU keeps all 8 bits with 2 CPUs.
                "GICD_ITARGETSR8 after ~0=00000000ffffffff", "GICD_ITARGETSR8 after ~0=0000000003030303",
                "GICD_ITARGETSR8 after byte 2 at +2=00000000ff02ffff", "GICD_ITARGETSR8 after byte 2 at +2=0000000003020303"));
    }

    @Test
    void gicv3MatchesQemu() throws Exception {
        compare("gicv3.S", 3, Map.of(
                // QEMU's GICv3 has LPIs (an ITS); jvisor's has none: GICD_TYPER.LPIS = 0, GICR_TYPER.PLPIS = 0
                // and CommonLPIAff = 0.
                "GICD_TYPER=00000000037a0007", "GICD_TYPER=0000000003780007",
                "GICR_TYPER=0000000001000001", "GICR_TYPER=0000000000000000",
                "GICR_TYPER(cpu1)=0000000101000111", "GICR_TYPER(cpu1)=0000000100000110",
                // GICD_IROUTER: bits [63:40] and [30:24] are RES0, and IRM is RES0 without 1-of-N
                // (GICD_TYPER.No1N = 1); QEMU keeps every bit.
                "GICD_IROUTER32 after ~0=ffffffffffffffff", "GICD_IROUTER32 after ~0=000000ff00ffffff",
                "GICD_IROUTER32 high half=00000000ffffffff", "GICD_IROUTER32 high half=00000000000000ff",
                "GICD_IROUTER32 after high half 0x12=00000012ffffffff", "GICD_IROUTER32 after high half 0x12=0000001200ffffff",
                // ICC_PMR_EL1 bits [63:8] are RES0; QEMU keeps bits [31:8] of a write.
                "ICC_PMR_EL1 after ~0=00000000fffffff8", "ICC_PMR_EL1 after ~0=00000000000000f8"));
    }

    private static void compare(String program, int version, Map<String, String> specOverQemu) throws Exception {
        Path elf = Asm.linkElf(resource(program), GicMachine.LD_ARGS);
        String qemu = GicMachine.runQemu(elf, version, 2);
        assertTrue(qemu.endsWith("done\n"), "QEMU's run did not finish:\n" + qemu);
        StringBuilder expected = new StringBuilder();
        for (String line : qemu.split("\n")) expected.append(specOverQemu.getOrDefault(line, line)).append('\n');
        GicMachine m = new GicMachine(version, 2).load(elf);
        m.runToPowerOff();
        assertEquals(expected.toString(), m.output());
    }

    static Path resource(String name) throws Exception {
        var url = GicRegistersTest.class.getResource("/gic/" + name);
        if (url == null) throw new IllegalStateException("missing resource gic/" + name);
        return Path.of(url.toURI());
    }
}
