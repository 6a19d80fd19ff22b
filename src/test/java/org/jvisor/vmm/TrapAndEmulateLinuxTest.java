package org.jvisor.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.guest.ProgressListener;
import org.jvisor.cpu.Esr;
import org.jvisor.hyp.TrapStats;
import org.jvisor.testing.BootsLinux;

/**
 * Issue 17 point 3: Debian's unmodified kernel run by classic trap-and-emulate ({@code -M virt,trap-and-emulate=on}:
 * deprivileged at EL0, every privileged instruction emulated, its page tables shadowed) boots and runs the trap
 * programs with the same output as at EL1 under the hypervisor (Popek and Goldberg's equivalence property).
 */
@BootsLinux
class TrapAndEmulateLinuxTest {
    private static final String PROGRAMS = "traps mem,8 io,20 divide access fork stack cpubench,20";

    private static String boot(boolean trapAndEmulate, TrapStats[] stats) throws Exception {
        GuestImage g = DefaultGuest.obtain(ProgressListener.NONE);
        BoardConfig config = new BoardConfig(256L << 20, 1, 2, false, List.of(), g.kernel(), g.initrd(),
                "console=ttyAMA0 panic=-1 reboot=panic_warm jvisor.run=\"" + PROGRAMS + "\"", false, true, true,
                Duration.ZERO, null, false, trapAndEmulate);
        BoardRun.Result r = BoardRun.run(config, null, 600, b -> stats[0] = b.vcpus().get(0).stats());
        String c = "\n" + r.console();
        assertEquals(0, r.status(), c + r.log());
        assertTrue(c.contains("\nJVISOR-EXIT 0\n") && c.contains("reboot: Power down"), c);
        assertTrue(c.contains("CPU: All CPU(s) started at EL1"), c);
        return c;
    }

    /** What the programs printed, between the runner's markers (no timestamps, no kernel lines). */
    private static String programs(String console) {
        return console.substring(console.indexOf("@jvisor-start 1 "), console.indexOf("JVISOR-EXIT 0"))
                .replaceAll(" in [0-9.]+ ms", " in T ms") // times differ, the rest may not
                // which of fork's two processes prints first is the scheduler's timing, not the machine's
                .replace("i am mama\ni am child\n", "i am child\ni am mama\n");
    }

    @Test
    void debianKernelRunsDeprivilegedAsAtEl1() throws Exception {
        TrapStats[] el1 = new TrapStats[1], el0 = new TrapStats[1];
        String atEl1 = programs(boot(false, el1));
        String deprivileged = programs(boot(true, el0));
        assertEquals(atEl1, deprivileged);
        assertTrue(atEl1.contains("i am child") && atEl1.contains("checksum eb51b2014d266365"), atEl1);
        TrapStats s = el0[0];
        // The kernel's SVC handling, its ERETs and its page table changes all went through the hypervisor.
        assertTrue(s.virtualExceptions(Esr.EC_SVC64) > 1000, s::toString);
        assertTrue(s.virtualExceptions(Esr.EC_DABT_LOW) > 100, s::toString); // user page faults: the stack program's alone
        assertTrue(s.virtualInterrupts() > 10, s::toString);
        assertTrue(s.emulated().get("ERET") > 1000, () -> s.emulated().toString());
        assertTrue(s.emulated().getOrDefault("LDTR", 0L) + s.emulated().getOrDefault("STTR", 0L) > 100, () -> s.emulated().toString());
        assertTrue(s.shadowFills() > 1000, s::toString);
        assertEquals(0, el1[0].shadowFills());
        System.out.println("Debian under trap-and-emulate: " + s + "\n" + s.emulated());
    }
}
