package org.jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvisor.cpu.Asm;
import org.jvisor.testing.NeedsCross;
import org.jvisor.testing.NeedsQemu;

/**
 * -cpu, -accel, -no-reboot and the help queries of {@code jvisor run}, each beside qemu-system-aarch64
 * given the same command line.
 */
@NeedsCross
@NeedsQemu
class QemuOptionsTest {
    /** What QEMU users add to see a bare-metal guest's serial port and nothing else; jvisor takes it as is. */
    static final String[] SERIAL_ONLY = {"-nodefaults", "-display", "none", "-serial", "stdio"};

    /**
     * The tail of the option tests' guests: W0 in hex and a newline on the PL011 (QEMU virt's 0x09000000),
     * then PSCI SYSTEM_OFF, so that jvisor and QEMU print the same line and both exit.
     */
    static final String PRINT_W0_AND_POWER_OFF = """
            movz x2, #0x0900, lsl #16
            mov w8, #28
        1:  lsr w4, w0, w8
            and w4, w4, #0xf
            cmp w4, #10
            add w5, w4, #'0'
            add w4, w4, #'a' - 10
            csel w4, w5, w4, lo
            str w4, [x2]
            subs w8, w8, #4
            b.pl 1b
            mov w4, #10
            str w4, [x2]
            movz x0, #0x0008
            movk x0, #0x8400, lsl #16
            hvc #0
            b .
        """;

    /** Prints ID_AA64ISAR0_EL1 (the instruction set attributes) in hex, powers off. */
    static final String ISAR0 = """
            mrs x0, id_aa64isar0_el1
        """ + PRINT_W0_AND_POWER_OFF;

    static String[] with(String[] first, String... more) {
        List<String> a = new ArrayList<>(List.of(first));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    static RunCommandTest.Result jvisor(Path kernel, String... options) {
        return RunCommandTest.run(with(new String[] {"run", "-kernel", kernel.toString(), "-m", "64M"}, options));
    }

    static RunCommandTest.Result qemu(Path kernel, String... options) throws Exception {
        return Processes.run(Processes.qemu(kernel, options), Map.of(), null);
    }

    static void assertOneLine(RunCommandTest.Result r, String expected) {
        assertEquals(2, r.status(), r.err());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("jvisor: ") && r.err().contains(expected) && r.err().lines().count() == 1, r.err());
    }

    @Test
    void cpuHelpListsModelsQemuHas() throws Exception {
        RunCommandTest.Result r = RunCommandTest.run("run", "-cpu", "help");
        assertEquals(0, r.status(), r.err());
        List<String> q = Processes.run(List.of("qemu-system-aarch64", "-M", "virt", "-cpu", "help"), Map.of(), null).out().lines().toList();
        List<String> j = r.out().lines().toList();
        assertEquals(q.get(0), j.get(0));
        assertEquals(List.of("  cortex-a57", "  max"), j.subList(1, j.size()));
        for (String model : j.subList(1, j.size())) assertTrue(q.contains(model), model);
    }

    /**
     * -cpu cortex-a57 is jvisor's processor: the guest reads the ID_AA64ISAR0_EL1 QEMU's cortex-a57 has.
     * -cpu max gets the same processor, and its one note names exactly the features that register advertises.
     */
    @Test
    void cortexA57IsTheProcessorAndMaxSaysSo(@TempDir Path dir) throws Exception {
        Path isar0 = Files.write(dir.resolve("isar0.bin"), Asm.assemble(ISAR0, 0x4008_0000L));
        RunCommandTest.Result q = qemu(isar0, with(SERIAL_ONLY, "-cpu", "cortex-a57"));
        assertEquals(0, q.status(), q.err());
        RunCommandTest.Result a57 = jvisor(isar0, with(SERIAL_ONLY, "-cpu", "cortex-a57"));
        assertEquals(0, a57.status(), a57.err());
        assertEquals(q.out(), a57.out());
        assertEquals("", a57.err());
        RunCommandTest.Result max = jvisor(isar0, with(SERIAL_ONLY, "-cpu", "max"));
        assertEquals(0, max.status(), max.err());
        assertEquals(q.out(), max.out());
        assertEquals(1, max.err().lines().count(), max.err());
        assertTrue(max.err().startsWith("jvisor: -cpu max: ") && max.err().contains("cortex-a57"), max.err());
        // ID_AA64ISAR0_EL1's fields (Arm ARM D19.2.61): AES [7:4] 1 or 2 (2: PMULL too), SHA1 [11:8], SHA2 [15:12], CRC32 [19:16], atomics [23:20].
        long v = Long.parseLong(q.out().strip(), 16);
        List<String> advertised = new ArrayList<>();
        if ((v >> 16 & 0xf) >= 1) advertised.add("FEAT_CRC32");
        if ((v >> 4 & 0xf) >= 1) advertised.add("FEAT_AES");
        if ((v >> 4 & 0xf) >= 2) advertised.add("FEAT_PMULL");
        if ((v >> 8 & 0xf) >= 1) advertised.add("FEAT_SHA1");
        if ((v >> 12 & 0xf) >= 1) advertised.add("FEAT_SHA256");
        if ((v >> 20 & 0xf) >= 2) advertised.add("FEAT_LSE");
        List<String> named = java.util.regex.Pattern.compile("FEAT_\\w+").matcher(max.err()).results().map(m -> m.group()).toList();
        assertEquals(advertised, named, max.err());
        assertOneLine(jvisor(isar0, "-cpu", "cortex-a72"), "-cpu cortex-a72: unknown CPU model");
        assertOneLine(jvisor(isar0, "-cpu", "max,sve=off"), "take no properties");
    }

    /** QEMU tries each -accel in turn: kvm then tcg ends on tcg, which is what jvisor is. */
    @Test
    void tcgIsAcceptedAndHardwareAcceleratorsAreNot(@TempDir Path dir) throws Exception {
        Path hello = RunCommandTest.hello(dir);
        String text = "hello from the virt board\n";
        for (String[] accel : new String[][] {{"-accel", "tcg"}, {"-accel", "kvm", "-accel", "tcg"}, {"-M", "virt,accel=kvm:tcg"}}) {
            RunCommandTest.Result q = qemu(hello, with(SERIAL_ONLY, accel));
            assertEquals(text, q.out(), List.of(accel) + ": " + q.err());
            RunCommandTest.Result j = jvisor(hello, with(SERIAL_ONLY, accel));
            assertEquals(0, j.status(), List.of(accel) + ": " + j.err());
            assertEquals(text, j.out(), List.of(accel).toString());
            assertEquals("", j.err());
        }
        assertOneLine(jvisor(hello, "-accel", "kvm"), "-accel kvm: jvisor runs the guest on its own hypervisor");
        assertOneLine(jvisor(hello, "-accel", "hvf", "-accel", "whpx"), "only tcg is accepted");
        assertOneLine(jvisor(hello, "-M", "virt,accel=kvm"), "-M virt,accel=kvm: jvisor runs the guest on its own hypervisor");
        assertOneLine(jvisor(hello, "-enable-kvm"), "-enable-kvm: jvisor runs the guest on its own hypervisor");
        RunCommandTest.Result help = RunCommandTest.run("run", "-accel", "help");
        assertEquals(0, help.status());
        List<String> q = Processes.run(List.of("qemu-system-aarch64", "-accel", "help"), Map.of(), null).out().lines().toList();
        for (String a : help.out().lines().skip(1).toList()) assertTrue(q.contains(a), a + " not in " + q);
    }

    /** QEMU restarts a guest that reboots unless -no-reboot; jvisor ends the run unless --on-reboot restart. */
    @Test
    void noRebootEndsTheRunAsInQemu(@TempDir Path dir) throws Exception {
        Path reboot = Files.write(dir.resolve("reboot.bin"), Asm.assemble(RunCommandTest.REBOOT, 0x4008_0000L));
        RunCommandTest.Result q = qemu(reboot, with(SERIAL_ONLY, "-no-reboot"));
        assertEquals("boot 1\n", q.out(), q.err());
        RunCommandTest.Result j = jvisor(reboot, with(SERIAL_ONLY, "-no-reboot"));
        assertEquals(q.out(), j.out(), j.err());
        assertEquals(0, j.status());
        RunCommandTest.Result qRestart = qemu(reboot, SERIAL_ONLY);
        assertEquals("boot 1\nboot 2\nboot 3\n", qRestart.out(), qRestart.err());
        assertEquals(qRestart.out(), jvisor(reboot, with(SERIAL_ONLY, "--on-reboot", "restart")).out());
        assertOneLine(jvisor(reboot, "-no-reboot", "--on-reboot", "restart"), "-no-reboot and --on-reboot restart");
    }

    @Test
    void machineHelpListsVirtAsQemuDoes() throws Exception {
        RunCommandTest.Result r = RunCommandTest.run("run", "-M", "help");
        assertEquals(0, r.status(), r.err());
        List<String> q = Processes.run(List.of("qemu-system-aarch64", "-M", "help"), Map.of(), null).out().lines().toList();
        List<String> j = r.out().lines().toList();
        assertEquals(q.get(0), j.get(0));
        assertEquals(2, j.size(), r.out());
        assertTrue(j.get(1).startsWith("virt "), j.get(1));
        assertTrue(q.stream().anyMatch(l -> l.startsWith("virt ")), "QEMU has virt");
    }
}
