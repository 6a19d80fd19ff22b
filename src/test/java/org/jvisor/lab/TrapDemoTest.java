package org.jvisor.lab;

import org.jvisor.cli.Main;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.jvisor.cpu.Asm;
import org.jvisor.testing.NeedsCross;

/**
 * {@code jvisor demo}: the embedded guest is what the GNU assembler makes of its source, and each step
 * costs what the architecture and KVM's trap configuration say: one exit per trapped instruction with its
 * exception class, one MEM trap per fresh 4 KiB page, one IO trap per MMIO access.
 */
class TrapDemoTest {
    static final int WFX = 0x01, HVC = 0x16, SMC = 0x17, SYSREG = 0x18, IABT_LOW = 0x20, DABT_LOW = 0x24;

    @NeedsCross
    @Test
    void embeddedGuestIsItsAssembledSource() throws IOException {
        String source;
        try (InputStream in = TrapDemo.class.getResourceAsStream(TrapDemo.SOURCE)) {
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        byte[] assembled = Asm.assemble(source, TrapDemo.LOAD_ADDRESS);
        assertArrayEquals(assembled, TrapDemo.guest(),
                "demo-guest.bin is stale: rebuild it from demo-guest.S with the commands at the top of that file");
        // One page: the code's only stage-2 fault is the first fetch (step 0 counts on it).
        assertTrue(assembled.length <= 4096, assembled.length + " bytes");
    }

    /** Observed counts of one step: CPU, MEM, IO, and exits by EC. */
    private static void assertStep(TrapDemo.Outcome o, long cpu, long mem, long io, Map<Integer, Long> exits) {
        String what = "step " + o.step().number() + " (" + o.step().title() + ")";
        assertEquals(cpu, o.cpu(), what + ": CPU traps");
        assertEquals(mem, o.mem(), what + ": MEM traps");
        assertEquals(io, o.io(), what + ": IO traps");
        assertEquals(exits, o.exits(), what + ": exits by exception class");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void everyTrapKindWithItsExactCount(int gic) throws Exception {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        TrapDemo.Result r = TrapDemo.run(gic, false, new PrintStream(text, true, StandardCharsets.UTF_8));
        assertNull(r.failure(), text.toString(StandardCharsets.UTF_8));
        assertEquals(0, r.boardStatus(), "PSCI SYSTEM_OFF ends the run with status 0");
        List<TrapDemo.Outcome> s = r.outcomes();
        assertEquals(16, s.size(), text.toString(StandardCharsets.UTF_8));
        for (int i = 0; i < s.size(); i++) assertEquals(i, s.get(i).step().number());

        assertStep(s.get(0), 0, 1, 0, Map.of(IABT_LOW, 1L));          // the code page, at the first fetch
        assertStep(s.get(1), 0, 0, 0, Map.of());                      // nothing traps
        assertStep(s.get(2), 1, 0, 0, Map.of(SYSREG, 1L));            // ACTLR_EL1: TACR
        assertStep(s.get(3), 1, 0, 0, Map.of(SYSREG, 1L));            // DC CISW: TSW
        assertStep(s.get(4), 1, 0, 0, Map.of(SYSREG, 1L));            // IMPLEMENTATION DEFINED: TIDCP
        assertEquals(1L << 25, s.get(4).esr(), "Undefined Instruction in the guest: EC 0x00, IL 1");
        assertStep(s.get(5), 3, 0, 0, Map.of(SYSREG, 3L));            // 3 MSRs under TVM, their MRSs untrapped
        assertStep(s.get(6), 3, 0, 0, Map.of(SYSREG, 3L));            // 3 ID register reads under TID3
        assertEquals(0x4L, s.get(6).value() & 15, "ID_AA64MMFR0_EL1.PARange of a Cortex-A57 (its TRM, and QEMU's cortex-a57): 44 bits");
        assertStep(s.get(7), 0, 0, 4, Map.of(DABT_LOW, 4L));          // 4 GIC register stores
        assertStep(s.get(8), 1, 0, 0, Map.of(WFX, 1L));               // one WFI
        assertStep(s.get(9), 1, 0, 0, Map.of(HVC, 1L));               // one HVC
        assertEquals(42, s.get(9).value());
        assertStep(s.get(10), 1, 0, 0, Map.of(SMC, 1L));              // one SMC
        assertEquals(0x10001, s.get(10).value(), "PSCI 1.1");
        assertStep(s.get(11), 0, 16, 0, Map.of(DABT_LOW, 16L));       // 16 fresh pages of 4 KiB
        assertStep(s.get(12), 0, 0, 0, Map.of());                     // the same pages: mapped
        String line = "Hello from the guest, through the PL011!\n";
        assertStep(s.get(13), 0, 0, line.length(), Map.of(DABT_LOW, (long) line.length())); // one byte per store
        assertEquals(line, r.console());
        assertStep(s.get(14), 0, 0, 2, Map.of(DABT_LOW, 2L));         // HIDE, SEEK
        assertEquals('p', s.get(14).value());
        if (gic == 3) assertStep(s.get(15), 1, 0, 0, Map.of(SYSREG, 1L)); // ICC_SGI1R_EL1 under IMO
        else assertStep(s.get(15), 0, 0, 1, Map.of(DABT_LOW, 1L));        // GICD_SGIR
        for (TrapDemo.Outcome o : s)
            if (o.step().number() != 4) assertEquals(0, o.esr(), "step " + o.step().number() + ": no exception in the guest");

        // The whole run: the steps, plus 16 step-done hypercalls and SYSTEM_OFF (HVCs).
        long cpu = s.stream().mapToLong(TrapDemo.Outcome::cpu).sum() + 17;
        assertEquals(cpu, r.total().cpuTraps());
        assertEquals(17, r.total().memTraps());
        assertEquals(s.stream().mapToLong(TrapDemo.Outcome::io).sum(), r.total().ioTraps());
        assertEquals(16 + 1 + 1, r.total().exits(HVC));
        assertTrue(r.allAsExpected());
    }

    @Test
    void withStage2BlocksSixteenPagesOfOneBlockCostOneMemTrap() throws Exception {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        TrapDemo.Result r = TrapDemo.run(3, true, new PrintStream(text, true, StandardCharsets.UTF_8));
        List<TrapDemo.Outcome> s = r.outcomes();
        assertEquals(16, s.size(), text.toString(StandardCharsets.UTF_8));
        // The code's block (0x40000000-0x401fffff) at the first fetch; the 16 pages from 0x40400000 lie in one block.
        assertStep(s.get(0), 0, 1, 0, Map.of(IABT_LOW, 1L));
        assertStep(s.get(11), 0, 1, 0, Map.of(DABT_LOW, 1L));
        assertStep(s.get(12), 0, 0, 0, Map.of());
        assertEquals('p', s.get(14).value(), "hide/seek keeps its byte in the block descriptor");
        assertEquals(2, r.total().memTraps());
        assertTrue(r.allAsExpected(), text.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theCommandPrintsEachStepAndExitsZero() {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int status;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            status = Main.execute("demo");
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, out);
        for (String s : List.of("GICv3", "MRS ACTLR_EL1", "HCR_EL2.TACR", "HCR_EL2.TSW", "HCR_EL2.TIDCP", "HCR_EL2.TVM",
                "HCR_EL2.TID3", "HCR_EL2.TWI", "HCR_EL2.TSC", "HCR_EL2.IMO", "WFx(0x01) 1", "SMC64(0x17) 1",
                "DABT_LOW(0x24) 16", "the guest sought back 0x70 'p'", "Hello from the guest", "all 16 steps as expected"))
            assertTrue(out.contains(s), "missing '" + s + "' in:\n" + out);
        assertEquals(2, Main.execute("demo", "--gic", "4"));
    }
}
