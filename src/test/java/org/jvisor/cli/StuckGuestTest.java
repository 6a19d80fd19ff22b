package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.Asm;
import org.jvisor.cpu.ExceptionLoopWatch;
import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.vmm.KernelImage;
import org.jvisor.guest.ProgressListener;

/**
 * A kernel that is not a kernel never hangs {@code jvisor run} silently: what the loader can tell is
 * refused with one line and status 2; a guest that gets through and then takes the same exception over
 * and over ends the run with one line and status 1, at once. Guests that take thousands of interrupts
 * or SVCs at one PC, their handlers returning each time, run to the end.
 */
class StuckGuestTest {
    private static final long LOAD = 0x4008_0000L;

    /** Runs {@code jvisor run ARGS} in this JVM, failing (not hanging) after 60 s. */
    private static RunCommandTest.Result run(String... args) {
        return assertTimeoutPreemptively(Duration.ofSeconds(60), () -> RunCommandTest.run(args));
    }

    private static String oneLine(RunCommandTest.Result r) {
        assertEquals("", r.out());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, r.err());
        assertTrue(lines[0].startsWith("jvisor: "), lines[0]);
        return lines[0];
    }

    @Test
    void aTextFileIsRefused(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "-kernel Image -append console=ttyAMA0\nsee README.md\n");
        RunCommandTest.Result r = run("run", "-kernel", text.toString(), "-m", "64M");
        assertEquals(2, r.status(), r.err());
        assertEquals("jvisor: not an arm64 kernel: '" + text + "' is a text file (printable UTF-8 with line breaks), not code", oneLine(r));
    }

    /**
     * The first MiB of the default guest's Image (Debian's, with the EFI stub) is refused; the whole
     * Image is an Image whose EFI header's sections end exactly where the file does.
     */
    @Test
    void theFirstMibOfARealImageIsRefused(@TempDir Path dir) throws Exception {
        GuestImage g = DefaultGuest.obtain(ProgressListener.NONE);
        byte[] whole = Files.readAllBytes(g.kernel());
        assertInstanceOf(KernelImage.Arm64Image.class, KernelImage.parse("Image", whole, 512L << 20));
        Path cut = dir.resolve("Image-1M");
        try (InputStream in = Files.newInputStream(g.kernel())) {
            Files.write(cut, in.readNBytes(1 << 20));
        }
        RunCommandTest.Result r = run("run", "-kernel", cut.toString());
        assertEquals(2, r.status(), r.err());
        assertEquals("jvisor: kernel image '" + cut + "' is truncated: its EFI (PE/COFF) header says the file holds at least "
                + whole.length + " bytes (" + String.format(java.util.Locale.ROOT, "%.1f MiB", whole.length / 1048576.0)
                + "), it has 1048576 (1 MiB)", oneLine(r));
    }

    /**
     * Zeros as a raw binary: UDF #0 at the entry, taken to VBAR_EL1 (0 after reset) + 0x200, where there
     * is no RAM: a stage-2 fault, an external abort injected at the vector (EC 0x21, instruction abort
     * from the current EL), taken to the same vector, again and again through the hypervisor.
     */
    @Test
    void zerosLoopThroughTheHypervisorAndEndTheRun(@TempDir Path dir) throws Exception {
        Path zeros = dir.resolve("zeros.bin");
        Files.write(zeros, new byte[4096]);
        long start = System.nanoTime();
        RunCommandTest.Result r = run("run", "-kernel", zeros.toString(), "-m", "64M");
        double ms = (System.nanoTime() - start) / 1e6;
        assertEquals(1, r.status(), r.err());
        assertEquals("jvisor: vCPU 0 is stuck in an exception loop: EC 0x21 IABT_CUR at PC 0x200, vector 0x200 (VBAR_EL1 0x0 + 0x200), taken "
                + ExceptionLoopWatch.REPEATS + " times in a row without progress", oneLine(r));
        System.out.printf("zeros: stuck guest reported %.0f ms after the run started%n", ms);
        assertTrue(ms < 10_000, ms + " ms");
    }

    /** A vector table of UDFs in RAM: the loop never leaves the guest, and is seen all the same. */
    @Test
    void aVectorTableOfUdfsEndsTheRun(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("udf-vectors.bin");
        Files.write(p, Asm.assemble("""
                    adr x0, vectors
                    msr vbar_el1, x0
                    udf #0
                    .balign 2048
                vectors:
                    .fill 512, 4, 0
                """, LOAD));
        RunCommandTest.Result r = run("run", "-kernel", p.toString(), "-m", "64M", "-smp", "2");
        assertEquals(1, r.status(), r.err());
        long vector = LOAD + 0x800 + 0x200;
        assertEquals(String.format("jvisor: vCPU 0 is stuck in an exception loop: EC 0x00 UNKNOWN at PC 0x%x, vector 0x%x (VBAR_EL1 0x%x + 0x200), taken %d times in a row without progress",
                vector, vector, LOAD + 0x800, ExceptionLoopWatch.REPEATS), oneLine(r));
    }

    /**
     * 20,000 timer interrupts taken at one PC (the branch after a WFI), then 20,000 SVCs at one PC, each
     * handler returning with ERET: twice the loop's repeats at one PC, and progress all along.
     */
    @Test
    void interruptsAndSvcsAtOnePcAreProgress(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("one-pc.bin");
        Files.write(p, Asm.assemble("""
                    adr x0, vectors
                    msr vbar_el1, x0
                    movz x1, #0x0800, lsl #16          // GICD
                    mov w2, #1
                    str w2, [x1]                       // GICD_CTLR
                    mov w2, #(1 << 27)
                    str w2, [x1, #0x100]               // GICD_ISENABLER0: PPI 27, the virtual timer
                    movz x3, #0x0801, lsl #16          // GICC
                    mov w2, #0xff
                    str w2, [x3, #4]                   // GICC_PMR
                    mov w2, #1
                    str w2, [x3]                       // GICC_CTLR
                    movz x6, #20000                    // interrupts to take
                    mov x2, #100
                    msr cntv_tval_el0, x2
                    mov x2, #1
                    msr cntv_ctl_el0, x2
                    isb
                    msr daifclr, #2
                1:  wfi
                atpc:
                    b 1b                               // the interrupts are taken here
                svcs:
                    movz x11, #10000
                    adr x1, few
                    cmp x10, x11
                    b.ls print                         // fewer than 10,000 interrupts taken at atpc
                    movz x7, #20000
                2:  svc #0                             // every SVC is taken here
                    subs x7, x7, #1
                    b.ne 2b
                    adr x1, msg
                print:
                    movz x2, #0x0900, lsl #16
                3:  ldrb w4, [x1], #1
                    cbz w4, 4f
                    str w4, [x2]
                    b 3b
                4:  movz x0, #0x0008
                    movk x0, #0x8400, lsl #16
                    hvc #0
                msg: .asciz "done\\n"
                few: .asciz "few at one PC\\n"
                    .balign 2048
                vectors:
                    .skip 0x200
                    eret                               // SVC
                    .balign 0x80                       // IRQ
                    ldr w5, [x3, #0x0c]                // GICC_IAR
                    mrs x8, elr_el1
                    adr x9, atpc
                    cmp x8, x9
                    cinc x10, x10, eq                  // count those taken at atpc
                    mov x2, #100
                    msr cntv_tval_el0, x2              // the next one in 100 ticks
                    str w5, [x3, #0x10]                // GICC_EOIR
                    subs x6, x6, #1
                    b.ne 5f
                    msr cntv_ctl_el0, xzr
                    adr x2, svcs
                    msr elr_el1, x2
                5:  eret
                """, LOAD));
        // Counted in instructions, the 100-tick timer does not wait for the host's clock (whose sleeps
        // last a millisecond at least): a WFI skips to the deadline.
        RunCommandTest.Result r = run("run", "-kernel", p.toString(), "-m", "64M", "--clock", "instructions");
        assertEquals("done\n", r.out(), r.err());
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err());
    }
}
