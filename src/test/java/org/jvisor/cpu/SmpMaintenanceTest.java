package org.jvisor.cpu;

import static org.jvisor.cpu.SmpAtomicityTest.processors;
import static org.jvisor.cpu.SmpAtomicityTest.runAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * TLB and instruction-cache maintenance broadcast between processors on different host threads, with
 * the guarantees Linux relies on (Arm ARM D8.13 / B2.4): once {@code TLBI ...IS; DSB ISH} completes on one
 * PE, no PE uses the old translation; once {@code DC CVAU; DSB ISH; IC IVAU; DSB ISH} completes, another
 * PE that sees a flag written afterwards and executes ISB runs the new instructions.
 */
@NeedsCross
class SmpMaintenanceTest {
    static final long VA = TestMachine.RAM_BASE + 0x80000, OLD_PAGE = VA, NEW_PAGE = VA + 0x1000;
    static final long FLAG = 0x4010_0000L, READY = 0x4010_0040L;
    /** The level-3 table of {@link TestMachine#normalMemory()} and the attributes of its read/write pages. */
    static final long L3 = TestMachine.RAM_BASE + 0xF0_2000L, RW_PAGE = (1L << 2) | (1L << 10) | (3L << 8) | (1L << 6) | 0b11;

    /**
     * Processor 0 remaps VA from OLD_PAGE to NEW_PAGE, broadcasts TLBI VAE1IS, DSB ISH, then sets FLAG.
     * Processor 1 reads VA in a loop, FLAG (with acquire) before it each time: once it has seen the flag,
     * the read after it must give the new page's data. It counts reads of the old data after the flag in x21.
     */
    @Test
    void broadcastTlbiIsCompleteEverywhereAfterDsb() throws InterruptedException {
        String program = """
                    cbnz x0, reader
                    // processor 0: wait until the reader uses the old translation, then remap
                1:  ldar w3, [x9]
                    cbz w3, 1b
                    str x6, [x5]
                    dsb ishst
                    lsr x4, x7, #12
                    tlbi vae1is, x4
                    dsb ish
                    mov w3, #1
                    str w3, [x8]
                    hvc #0
                reader:
                    mov x21, #0
                    ldr w4, [x7]
                    mov w3, #1
                    stlr w3, [x9]
                2:  ldar w3, [x8]
                    ldr w4, [x7]
                    cbz w3, 2b
                    cmp w4, #1
                    cinc x21, x21, eq
                    hvc #0
                """;
        for (int round = 0; round < 30; round++) {
            TestMachine m = new TestMachine().load(program).normalMemory();
            m.bus.write(OLD_PAGE, 4, 1);
            m.bus.write(NEW_PAGE, 4, 2);
            List<Cpu> cpus = processors(m, 2, Features.cortexA57());
            for (Cpu c : cpus) {
                c.x[5] = L3 + 8 * ((VA - TestMachine.RAM_BASE) >>> 12);
                c.x[6] = NEW_PAGE | RW_PAGE;
                c.x[7] = VA;
                c.x[8] = FLAG;
                c.x[9] = READY;
            }
            runAll(cpus);
            assertEquals(2, cpus.get(1).x[4], "round " + round + ": the reader read the old page after the flag");
            assertEquals(0, cpus.get(1).x[21]);
        }
    }

    /**
     * A processor outside {@link Cpu#run} (here: stopped at an HVC) does not hold up a broadcaster's DSB,
     * and applies the invalidation before it executes again.
     */
    @Test
    void aStoppedProcessorAppliesTheBroadcastBeforeRunningAgain() {
        TestMachine m = new TestMachine().load("""
                    cbnz x0, reader
                    str x6, [x5]
                    dsb ishst
                    lsr x4, x7, #12
                    tlbi vae1is, x4
                    dsb ish
                    hvc #0
                reader:
                    ldr w4, [x7]
                    hvc #0
                    ldr w4, [x7]
                    hvc #0
                """).normalMemory();
        m.bus.write(OLD_PAGE, 4, 1);
        m.bus.write(NEW_PAGE, 4, 2);
        List<Cpu> cpus = processors(m, 2, Features.cortexA57());
        for (Cpu c : cpus) {
            c.x[5] = L3 + 8 * ((VA - TestMachine.RAM_BASE) >>> 12);
            c.x[6] = NEW_PAGE | RW_PAGE;
            c.x[7] = VA;
        }
        Cpu writer = cpus.get(0), reader = cpus.get(1);
        assertEquals(ExitReason.EL2_TRAP, reader.run(1000));
        assertEquals(1, reader.x[4]);
        assertEquals(ExitReason.EL2_TRAP, writer.run(1000));
        reader.exceptionReturn();
        assertEquals(ExitReason.EL2_TRAP, reader.run(1000));
        assertEquals(2, reader.x[4], "the reader used the old translation after the broadcaster's DSB");
    }

    /**
     * A processor whose soft TLB could write a page before another processor decoded code in it stops
     * writing it directly before its next instructions: its store then drops the decoded code, which the
     * other processor executes anew (stores into code are seen without IC maintenance, as in QEMU).
     */
    @Test
    void storesAfterAnotherProcessorDecodedThePageDropTheCode() {
        long function = TestMachine.RAM_BASE + 0x10000;
        byte[] oldCode = Asm.assemble("mov x20, #1\nret\n", function);
        TestMachine m = new TestMachine().load("""
                    cbnz x0, writer
                    blr x11
                    hvc #0
                    blr x11
                    hvc #0
                writer:
                    str w12, [x11]
                    hvc #0
                    str w10, [x11]
                    hvc #0
                """);
        m.bus.writeBytes(function, oldCode);
        List<Cpu> cpus = processors(m, 2, Features.cortexA57());
        for (Cpu c : cpus) {
            c.x[10] = leWord(Asm.assemble("mov x20, #2\n", function));
            c.x[11] = function;
            c.x[12] = leWord(oldCode);
        }
        Cpu caller = cpus.get(0), writer = cpus.get(1);
        assertEquals(ExitReason.EL2_TRAP, writer.run(1000)); // its TLB may now write the page
        assertEquals(ExitReason.EL2_TRAP, caller.run(1000)); // decodes the function
        assertEquals(1, caller.x[20]);
        writer.exceptionReturn();
        assertEquals(ExitReason.EL2_TRAP, writer.run(1000)); // rewrites it
        caller.exceptionReturn();
        assertEquals(ExitReason.EL2_TRAP, caller.run(1000));
        assertEquals(2, caller.x[20]);
    }

    /** Two processors broadcasting at once, each waiting in DSB for the other, both finish. */
    @Test
    void simultaneousBroadcastsDoNotDeadlock() throws InterruptedException {
        TestMachine m = new TestMachine().load("""
                    ldr x9, =2000
                1:  tlbi vmalle1is
                    dsb ish
                    tlbi vae1is, x9
                    ic ialluis
                    dsb ish
                    isb
                    subs x9, x9, #1
                    b.ne 1b
                    hvc #0
                    .ltorg
                """).normalMemory();
        runAll(processors(m, 3, Features.cortexA57()));
    }

    /**
     * Cross-modifying code: processor 0 rewrites a function processor 1 keeps calling ({@code mov x20, #1;
     * ret} becomes {@code mov x20, #2; ret}), cleans and invalidates, then sets FLAG; processor 1, once it
     * sees the flag, executes ISB and calls the function again: it must run the new instruction.
     */
    @Test
    void crossModifiedCodeIsSeenAfterTheFlagAndIsb() throws InterruptedException {
        long function = TestMachine.RAM_BASE + 0x10000;
        byte[] oldCode = Asm.assemble("mov x20, #1\nret\n", function);
        int newInsn = (int) leWord(Asm.assemble("mov x20, #2\n", function));
        String program = """
                    cbnz x0, caller
                1:  ldar w3, [x9]
                    cbz w3, 1b
                    str w10, [x11]
                    dc cvau, x11
                    dsb ish
                    ic ivau, x11
                    dsb ish
                    mov w3, #1
                    stlr w3, [x8]
                    hvc #0
                caller:
                    blr x11
                    mov w3, #1
                    stlr w3, [x9]
                2:  blr x11
                    ldar w3, [x8]
                    cbz w3, 2b
                    isb
                    blr x11
                    hvc #0
                """;
        for (int round = 0; round < 30; round++) {
            TestMachine m = new TestMachine().load(program); // MMU off: all of RAM writable and executable
            m.bus.writeBytes(function, oldCode);
            List<Cpu> cpus = processors(m, 2, Features.cortexA57());
            for (Cpu c : cpus) {
                c.x[8] = FLAG;
                c.x[9] = READY;
                c.x[10] = newInsn & 0xffffffffL;
                c.x[11] = function;
            }
            runAll(cpus);
            assertEquals(2, cpus.get(1).x[20], "round " + round);
        }
    }

    private static long leWord(byte[] b) {
        return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (long) (b[3] & 0xff) << 24;
    }
}
