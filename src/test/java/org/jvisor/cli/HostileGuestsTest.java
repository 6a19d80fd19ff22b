package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.jvisor.cpu.Asm;

/**
 * Small bare-metal guests that attack the host as a hostile guest would, each run by {@code jvisor run -m 64M}
 * in a JVM started as the launcher starts it (its heap limit read from {@code ./jvisor}), for a few seconds,
 * with the process's peak resident memory (VmHWM) measured: it must stay within guest RAM plus the fixed
 * overhead docs/board.md states ({@value #OVERHEAD_MIB} MiB), and the VM must still be running (nothing a
 * guest does ends or stalls the host). Allocation per exit or store is checked exactly by the hypervisor's
 * SteadyStateAllocationTest; this is the end-to-end bound.
 */
class HostileGuestsTest {
    static final long LOAD = 0x4008_0000L;
    static final int GUEST_MIB = 64, OVERHEAD_MIB = 448, SECONDS = 4;

    /** VBAR_EL1 at a vector that skips the faulting instruction, so an abort storm goes on. */
    private static final String SKIPPING_VECTORS = """
                adr x0, vectors
                msr vbar_el1, x0
                isb
                b main
                .balign 2048
            vectors:
                .rept 16
                mrs x30, elr_el1
                add x30, x30, #4
                msr elr_el1, x30
                eret
                .balign 128
                .endr
            main:
            """;

    private static String program(String name) {
        return switch (name) {
            // Stores into the page it runs from: over its next instruction and over data beside its code.
            case "stores-into-its-code" -> """
                    adr x11, patched
                    adr x14, data
                    ldr w12, addinsn
                    movz w13, #0xd503, lsl #16
                    movk w13, #0x201f
                loop:
                    str w12, [x11]
                    str w3, [x14]
                patched:
                    nop
                    str w13, [x11]
                    b loop
                addinsn:
                    add x3, x3, #1
                data:
                    .word 0
                """;
            // Reads the PL031's data register (a VMM device) without end.
            case "mmio-storm" -> """
                    movz x9, #0x0901, lsl #16
                loop:
                    ldr w1, [x9]
                    str w1, [x9, #4]
                    b loop
                """;
            // Stores to an address no device claims: an external abort each time, the vector skipping it.
            case "unclaimed-abort-storm" -> SKIPPING_VECTORS + """
                    movz x9, #0x0c00, lsl #16
                loop:
                    str w1, [x9]
                    ldr w1, [x9]
                    b loop
                """;
            // A function id nothing implements: NOT_SUPPORTED from the hypervisor, as fast as it can ask.
            case "hvc-storm" -> """
                    movz w10, #0x8600, lsl #16
                loop:
                    mov x0, x10
                    hvc #0
                    b loop
                """;
            // SVCs to its own vector, which returns: an exception storm inside the guest.
            case "svc-storm" -> SKIPPING_VECTORS.replace("add x30, x30, #4", "nop") + """
                loop:
                    svc #0
                    b loop
                """;
            // Exclusive and pair loads from an address no device claims: the hypervisor cannot emulate them
            // (no syndrome), so each is an external abort in the guest, which skips it.
            case "exclusive-loads-unclaimed" -> SKIPPING_VECTORS + """
                    movz x9, #0x0c00, lsl #16
                loop:
                    ldaxr x1, [x9]
                    ldaxrh w1, [x9]
                    ldxp x1, x2, [x9]
                    b loop
                """;
            // WFE without end, with the event stream on as Linux has it (an event every 8192 ticks, 131 us):
            // the vCPU thread sleeps between events instead of spinning.
            case "wfe-loop" -> """
                    movz x0, #(4 | (12 << 4))
                    msr cntkctl_el1, x0
                    isb
                loop:
                    wfe
                    b loop
                """;
            // Writes every page of its RAM, again and again: all of guest RAM resident.
            case "touches-all-its-ram" -> """
                    movz x10, #0x4000, lsl #16
                    movz x11, #0x4400, lsl #16
                again:
                    movz x9, #0x4010, lsl #16
                loop:
                    str x9, [x9]
                    add x9, x9, #4096
                    cmp x9, x11
                    b.lo loop
                    b again
                """;
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** The heap limit the launcher gives a run with no image files, from {@code ./jvisor} (its one home). */
    static int launcherHeapMib() throws IOException {
        Matcher m = Pattern.compile("(?m)^heap_mib=(\\d+)$").matcher(Files.readString(Path.of("jvisor")));
        assertTrue(m.find(), "./jvisor sets heap_mib");
        return Integer.parseInt(m.group(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"stores-into-its-code", "mmio-storm", "unclaimed-abort-storm", "hvc-storm", "svc-storm", "touches-all-its-ram", "exclusive-loads-unclaimed", "wfe-loop"})
    void staysWithinGuestRamPlusTheFixedOverheadAndKeepsRunning(String name, @TempDir Path dir) throws Exception {
        Path kernel = dir.resolve(name + ".bin");
        Files.write(kernel, Asm.assemble(program(name), LOAD));
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UseParallelGC", "-Xmx" + launcherHeapMib() + "m",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "org.jvisor.cli.Main",
                "run", "-m", GUEST_MIB + "M", "-nodefaults", "-kernel", kernel.toString()));
        Process p = new ProcessBuilder(cmd).redirectInput(new File("/dev/null")).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread drain = Processes.drain(p.getInputStream(), out);
        try {
            Thread.sleep(SECONDS * 500L);
            long cpuBefore = cpuTicks(p.pid());
            Thread.sleep(SECONDS * 500L);
            long cpuTicks = cpuTicks(p.pid()) - cpuBefore;
            long peakKib = peakResidentKib(p.pid());
            if (name.equals("wfe-loop")) // a spinning vCPU would use the whole second half: 100 ticks a second
                assertTrue(cpuTicks < SECONDS * 100 / 2 / 4, "wfe-loop used " + cpuTicks + " CPU ticks in " + SECONDS / 2 + " s");
            assertTrue(p.isAlive(), name + ": the VM ended; it printed:\n" + out.toString(StandardCharsets.ISO_8859_1));
            System.out.printf("%s: peak RSS %d MiB (bound %d)%n", name, peakKib >> 10, GUEST_MIB + OVERHEAD_MIB);
            assertTrue(peakKib >> 10 <= GUEST_MIB + OVERHEAD_MIB, name + ": peak RSS " + (peakKib >> 10) + " MiB, more than "
                    + GUEST_MIB + " MiB of guest RAM + " + OVERHEAD_MIB + " MiB");
        } finally {
            p.destroyForcibly().waitFor();
            drain.join();
        }
    }

    /** User + system CPU time of the process, in clock ticks (proc(5): fields 14 and 15 of /proc/PID/stat). */
    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static long peakResidentKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status")))
            if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        throw new AssertionError("no VmHWM for " + pid);
    }
}
