package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.Asm;
import org.jvisor.testing.BootsLinux;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsTools;

/**
 * Runs that would never end are reported instead (issue 14): a guest kernel that panics, a machine whose last
 * vCPU powered itself off, and one whose vCPUs all wait for an interrupt that nothing can raise each end with
 * one line and a status of their own, where QEMU would spin or sit idle forever.
 */
@NeedsCross
class GuestEndsTest {
    static final long LOAD = 0x4008_0000L;

    private static RunCommandTest.Result runBareMetal(Path dir, String source) throws Exception {
        Path kernel = dir.resolve("guest.bin");
        Files.write(kernel, Asm.assemble(source, LOAD));
        return Processes.run(Processes.jvisor(kernel, "-nodefaults"), Map.of(), null);
    }

    @Test
    void theLastVcpuPoweringItselfOffEndsTheRun(@TempDir Path dir) throws Exception {
        RunCommandTest.Result r = runBareMetal(dir, """
                movz x0, #0x0002
                movk x0, #0x8400, lsl #16
                hvc #0
                b .
                """);
        assertEquals(4, r.status(), r.err());
        assertEquals("jvisor: every vCPU is off (the last one called PSCI CPU_OFF): the guest can never run again; the run ends",
                r.err().strip());
    }

    /** Interrupts masked, the GIC's distributor off (as after reset), no timer armed: WFI, and WFE, wait for good. */
    @Test
    void waitingWithNothingToWakeTheGuestEndsTheRun(@TempDir Path dir) throws Exception {
        for (String wait : List.of("wfi", "wfe\nwfe")) {
            RunCommandTest.Result r = runBareMetal(dir, "msr daifset, #0xf\n" + wait + "\nb .\n");
            assertEquals(4, r.status(), wait + ": " + r.err());
            assertTrue(r.err().strip().startsWith("jvisor: every vCPU is off or waiting (WFI/WFE) with no timer armed"), r.err());
        }
    }

    /** A timer armed while the guest waits is something that can wake it: the run goes on until it fires. */
    @Test
    void aTimerArmedWithItsInterruptEnabledKeepsTheGuestWaiting(@TempDir Path dir) throws Exception {
        // GICv2 distributor at 0x08000000: enable it and PPI 27 (the virtual timer); its CPU interface at 0x08010000:
        // enable it, priority mask 0xff; arm CNTV for ~0.5 s; WFI;
        // then power off. (The IRQ stays masked in PSTATE: WFI still wakes for it.)
        RunCommandTest.Result r = runBareMetal(dir, """
                movz x1, #0x0800, lsl #16
                mov w2, #1
                str w2, [x1]
                mov w2, #(1 << 27)
                str w2, [x1, #0x100]
                movz x1, #0x0801, lsl #16
                mov w2, #1
                str w2, [x1]
                mov w2, #0xff
                str w2, [x1, #4]
                movz x3, #0x01dc, lsl #16
                msr cntv_tval_el0, x3
                mov x3, #1
                msr cntv_ctl_el0, x3
                isb
                wfi
                movz x0, #0x0008
                movk x0, #0x8400, lsl #16
                hvc #0
                """);
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err());
    }

    /**
     * The default guest boots with {@code panic=-1 reboot=panic_warm}: a kernel panic (here forced through
     * sysrq, typed into its shell) restarts at once as a warm reset, which ends the run with status 3.
     */
    @BootsLinux
    @NeedsTools
    @Test
    void aPanicOfTheDefaultGuestEndsTheRun() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "org.jvisor.cli.Main", "run", "-nodefaults", "-serial", "stdio");
        try (Processes.Terminal t = new Processes.Terminal(cmd)) {
            t.await("~ # ", 300); // a cold boot where no booted snapshot is cached yet: 15 s quiet, minutes on a loaded machine
            t.type("echo c > /proc/sysrq-trigger\r");
            assertEquals(3, t.exitStatus(), t.output());
            assertTrue(t.output().contains("Kernel panic - not syncing"), t.output());
            assertTrue(t.output().contains("jvisor: the guest asked for a warm reset (PSCI SYSTEM_RESET2)"), t.output());
        }
    }
}
