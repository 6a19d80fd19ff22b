package org.jvisor.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.jvisor.cpu.Esr;
import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.guest.KvmHelloWorldOutput;
import org.jvisor.guest.ProgressListener;
import org.jvisor.hyp.TrapStats;
import org.jvisor.testing.BootsLinux;
import org.jvisor.testing.NeedsGuest;

/**
 * Issue 16, points 2-4 on jvisor: the default guest's kernel at EL2 ({@code virtualization=on}) runs the
 * programs of {@link DefaultGuest#withKvm} on its own KVM, as on QEMU 7.2 in the same mode
 * ({@code org.jvisor.guest.KvmGuestQemuTest} checks the same lines there), and jvisor counts the traps that
 * KVM takes with no patch to it.
 */
@BootsLinux
@NeedsGuest
class El2KvmTest {
    private static final long TIMEOUT_SECONDS = 900;

    record Run(String console, TrapStats stats) {}

    private static Run boot(int gic, String append, String input) throws Exception {
        GuestImage g = DefaultGuest.obtainWithKvm(ProgressListener.NONE);
        BoardConfig config = new BoardConfig(384L << 20, 1, gic, false, List.of(), g.kernel(), g.initrd(),
                "console=ttyAMA0 " + append, false, true, true, Duration.ZERO, null, true);
        TrapStats[] stats = new TrapStats[1];
        BoardRun.Result r = BoardRun.run(config, input, TIMEOUT_SECONDS, board -> stats[0] = board.vcpus().getFirst().stats());
        String c = "\n" + r.console();
        assertEquals(0, r.status(), c + r.log());
        assertEquals("", r.log(), c);
        return new Run(c, stats[0]);
    }

    @Test
    void kvmHelloWorldRunsOnTheGuestsKvmAndItsTrapsAreCounted() throws Exception {
        Run run = boot(3, "quiet jvisor.run=kvm-hello-world", null);
        assertTrue(run.console().contains(KvmHelloWorldOutput.expected()), run.console());
        // What the guest's KVM saw of its guest, counted by jvisor's processor: the first fetch from the code page
        // (a stage-2 instruction abort KVM answers by mapping the page: MEM); two stores to unmapped 0x1000 (stage-2
        // data aborts): the first emulated by the VMM and resumed past (IO), the second ends the program, never
        // resumed, so counted under its EC only. The loop computing F(50) touches no memory and traps nothing.
        TrapStats s = run.stats();
        assertEquals(1, s.exits(Esr.EC_IABT_LOW), s.toString());
        assertEquals(2, s.exits(Esr.EC_DABT_LOW), s.toString());
        assertEquals(3, s.totalExits(), s.toString());
        assertEquals(1, s.memTraps(), s.toString());
        assertEquals(1, s.ioTraps(), s.toString());
        assertEquals(0, s.cpuTraps(), s.toString());
        assertTrue(s.hostCalls() > 0, "the guest's kernel calls its EL2 (KVM's world switches): " + s.hostCalls());
    }

    /**
     * Linux in Linux: kvm-vmm boots the default guest's own kernel and initramfs on the guest's KVM, with its vGIC
     * and its timer; the nested shell answers. With a GICv3 the vGIC is KVM's vgic-v3 on the processor's ICH_
     * registers; with a GICv2 (QEMU's default) KVM has only a vgic-v2, on the GICH/GICV frames, and the nested
     * kernel sees a GICv2 ("GIC-0" in its /proc/interrupts). The maintenance interrupt is in jvisor's device tree.
     */
    @ParameterizedTest(name = "GICv{0}")
    @ValueSource(ints = {2, 3})
    void theNestedGuestBootsToItsShellOnTheGuestsKvm(int gic) throws Exception {
        // The first prompt is the nested guest's: the outer one runs nested-linux instead of a shell.
        Run run = boot(gic, "quiet jvisor.run=\"nested-linux quiet\"",
                "echo nested $((6 * 7)); cat /proc/cmdline; uname -r; grep -c " + (gic == 2 ? "GIC-0" : "GICv3") + " /proc/interrupts; poweroff -f\n");
        String c = run.console();
        String release = DefaultGuest.obtain(ProgressListener.NONE).kernelVersion();
        assertTrue(Pattern.compile("\nnested 42\nconsole=ttyAMA0 quiet\n" + Pattern.quote(release) + "\n[1-9]\\d*\n").matcher(c).find(), c);
        assertTrue(c.contains("\nkvm-vmm: the guest powered off\nJVISOR-EXIT 0\n"), c);
        assertEquals(2, c.lines().filter("JVISOR-READY"::equals).count(), "both guests reach /init's marker:\n" + c);
        // The nested boot seen from the "hardware": stage-2 faults on the nested guest's RAM (MEM) and its MMIO to
        // the GIC and the PL011 (IO), system register traps and hypercalls (CPU), all under KVM's own handling.
        TrapStats s = run.stats();
        assertTrue(s.memTraps() > 1000 && s.ioTraps() > 100 && s.cpuTraps() > 0, s + "; exits " + s.totalExits());
        assertTrue(s.exits(Esr.EC_HVC64) > 0, "the nested kernel's PSCI/SMCCC calls reach KVM: " + s.exits(Esr.EC_HVC64));
        assertTrue(s.interrupts() > 0, "its timer interrupts reach KVM's EL2");
    }
}
