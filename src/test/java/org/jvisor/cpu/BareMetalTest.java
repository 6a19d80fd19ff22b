package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsQemu;

/**
 * Runs each bare-metal program of src/test/resources/baremetal on QEMU's virt board (the reference) and
 * on {@link BareMetalMachine}, and asserts that the UART output is identical.
 *
 * <p>When the outputs differ the program is replayed one instruction at a time, and if jvisor took an
 * Undefined Instruction exception on an instruction that QEMU executed (any word except the {@code udf}
 * the programs use on purpose), the failure names that instruction.
 */
@NeedsCross
@NeedsQemu
class BareMetalTest {
    static final List<String> LD_ARGS = List.of("-Ttext=0x40200000", "-Tdata=0x40400000",
            "--section-start=.el0data=0x40600000", "-e", "_start");
    static final long BUDGET = 50_000_000;

    @ParameterizedTest
    @ValueSource(strings = {"hello", "exceptions", "mmu", "el0", "sysregs"})
    void outputMatchesQemu(String name) throws Exception {
        Path elf = Asm.linkElf(resource(name + ".S"), LD_ARGS);
        String expected = runQemu(elf);
        assertTrue(expected.length() > 40 && expected.endsWith("\n"), "QEMU printed too little:\n" + expected);

        BareMetalMachine m = new BareMetalMachine().loadElf(elf);
        BareMetalMachine.Outcome o = withWatchdog(m, () -> m.run(BUDGET));
        String actual = m.output();
        if (o.poweredOff() && expected.equals(actual)) return;

        BareMetalMachine replay = new BareMetalMachine().loadElf(elf);
        String gap = withWatchdog(replay, () -> findMissingInstruction(replay, elf));
        String diagnosis = gap == null ? "" : "\njvisor raised Undefined Instruction on " + gap;
        assertTrue(o.poweredOff(), () -> name + ": " + o.why() + diagnosis + "\n--- QEMU:\n" + expected + "--- jvisor:\n" + actual + "\n" + m.dump());
        assertEquals(expected, actual, () -> name + ": output differs from QEMU" + diagnosis + "\n" + m.dump());
    }

    static Path resource(String name) throws URISyntaxException {
        var url = BareMetalTest.class.getResource("/baremetal/" + name);
        if (url == null) throw new IllegalStateException("missing resource baremetal/" + name);
        return Path.of(url.toURI());
    }

    /** The program's UART output on qemu-system-aarch64 (stdout is exactly the UART with these flags). */
    static String runQemu(Path elf) throws IOException, InterruptedException {
        return QemuVirt.run(elf, "virt", 1, null);
    }

    /** Runs {@code body}, kicking the processor if it has not returned after 20 s (a guest loop that retires nothing). */
    static <T> T withWatchdog(BareMetalMachine m, java.util.function.Supplier<T> body) {
        Thread dog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(20_000);
                m.cpu.kick();
            } catch (InterruptedException e) {
                // finished in time
            }
        });
        try {
            return body.get();
        } finally {
            dog.interrupt();
        }
    }

    /**
     * Replays the program one instruction at a time and returns a description of the first instruction on
     * which jvisor raised Undefined Instruction (other than a deliberate {@code udf}), or null. The programs
     * run their code identity-mapped, so the PC is also the instruction's physical address.
     */
    static String findMissingInstruction(BareMetalMachine m, Path elf) {
        Map<Long, String> dis = Asm.disassemble(elf);
        Cpu cpu = m.cpu;
        long deadline = System.nanoTime() + 20_000_000_000L;
        for (long i = 0; i < BUDGET && System.nanoTime() < deadline; i++) {
            long pc = cpu.pc;
            int el = cpu.currentEl();
            int word;
            try {
                word = (int) m.bus.read(pc, 4);
            } catch (BusError e) {
                return null;
            }
            boolean deliberate = (word >>> 16) == 0; // UDF #imm16
            if (!deliberate && Decoder.decode(word) == Decoder.UNALLOCATED)
                return String.format("%08x \"%s\" at 0x%x (EL%d): not decoded", word, dis.getOrDefault(pc, "?"), pc, el);
            long esr = cpu.sr.esr[1], elr = cpu.sr.elr[1], spsr = cpu.sr.spsr[1];
            ExitReason r = cpu.run(1);
            boolean tookException = cpu.sr.esr[1] != esr || cpu.sr.elr[1] != elr || cpu.sr.spsr[1] != spsr;
            if (tookException && cpu.sr.elr[1] == pc && (cpu.sr.esr[1] >>> 26) == Esr.EC_UNKNOWN && !deliberate) {
                return String.format("%08x \"%s\" at 0x%x (EL%d): decoded as %s but raised Undefined Instruction",
                        word, dis.getOrDefault(pc, "?"), pc, el, Decoder.nameOf(word));
            }
            if (r != ExitReason.BUDGET) return null; // powered off, other exit or kicked by the watchdog
        }
        return null;
    }
}
