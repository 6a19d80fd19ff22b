package org.jvisor.lab;

import org.jvisor.guest.DefaultGuest;
import org.jvisor.guest.GuestImage;
import org.jvisor.guest.Newc;
import org.jvisor.guest.ProgressListener;
import org.jvisor.vmm.LinuxBootTest;
import org.jvisor.vmm.TrapTraceCsvTest;
import org.jvisor.vmm.VirtBoard;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Issue 7's check of the trap experiment: the default guest boots once and runs the test programs; each
 * program's counters move as the hardware and Linux say they must. The guest comes from
 * {@link DefaultGuest#obtain}, as in {@link LinuxBootTest}: from the user's cache when an earlier test or
 * run filled it (no network), else through the host's apt as {@code ./jvisor run} would, so the outcome does
 * not depend on the order the suite runs its tests in.
 */
public class TrapExperimentTest {
    private static final int MEM_MIB = 64, IO_LINES = 300, BOMB_SECONDS = 3;

    @Test
    void programsRaiseTheTrapsTheyShould() throws Exception {
        GuestImage g = DefaultGuest.obtain(ProgressListener.NONE);
        Map<String, Newc.Entry> initrd = Newc.parse(Newc.gunzip(Files.readAllBytes(g.initrd())));
        assertEquals(Newc.REG, initrd.get("home/root/jvprogs").type());
        assertEquals("jvprogs", initrd.get("home/root/mem").text(), "mem is a link to the multi-call binary");

        List<String> programs = List.of("mem," + MEM_MIB, "io," + IO_LINES, "divide", "access", "fork", "stack",
                "bomb," + BOMB_SECONDS);
        TrapExperiment.Report r = new TrapExperiment(g, 512L << 20, 1, programs).deadlines(900, 120).run(null);

        assertFalse(r.timedOut(), r.console());
        assertEquals(0, r.boardStatus(), "the guest powered off after the last program:\n" + r.console());
        assertTrue(r.console().contains("JVISOR-EXIT 0"), r.console());
        Map<String, TrapExperiment.Result> by = r.results().stream()
                .collect(Collectors.toMap(TrapExperiment.Result::name, Function.identity()));
        assertEquals(programs.size(), by.size(), r.console());
        // the trace, as traps.csv: "start mem,64" and the like stay one field for a CSV reader
        assertTrue(r.samples().stream().anyMatch(s -> s.event().equals("start mem," + MEM_MIB)), "the trace marks mem's start");
        TrapTraceCsvTest.assertReadsBackAs(r.samples(), r.csv());

        // mem: VirtBoard never turns on stage-2 blocks (Vm.setStage2Blocks), so the first guest access to each 4 KiB
        // page of RAM is one stage-2 fault. The pages mem touches are fresh to the VM except those the guest kernel
        // used during boot and then freed, which it hands out again first: the initrd's and the __init sections'
        // (Linux prints both sizes). Everything else this boot used is still in use.
        TrapExperiment.Result mem = by.get("mem");
        assertEquals(0, mem.status(), mem.output());
        int pages = MEM_MIB << 20 >> 12;
        assertTrue(mem.output().contains("mem: touched " + pages + " pages of 4096 bytes"), mem.output());
        long recycled = (freedKib(r.console(), "Freeing initrd memory: ") + freedKib(r.console(), "Freeing unused kernel memory: ")) / 4;
        assertTrue(recycled < pages / 4, "the boot freed " + recycled + " pages");
        assertTrue(mem.delta().mem() >= pages - recycled, "MEM traps " + mem.delta() + " for " + pages + " pages, " + recycled + " of them maybe used at boot");

        // io: each line's characters go out through the PL011's UARTDR, one MMIO write (IO trap) per character
        TrapExperiment.Result io = by.get("io");
        assertEquals(0, io.status(), io.output());
        assertTrue(io.output().contains("io line " + IO_LINES + "\n"), io.output());
        assertTrue(io.delta().io() >= IO_LINES, "IO traps " + io.delta() + " for " + IO_LINES + " lines");

        // divide: SDIV by zero gives 0 on AArch64, no exception
        TrapExperiment.Result divide = by.get("divide");
        assertEquals(0, divide.status());
        assertTrue(divide.output().contains("a = 50\nb = 0\nc = a/b = 0\n"), divide.output());

        TrapExperiment.Result fork = by.get("fork");
        assertEquals(0, fork.status());
        assertTrue(fork.output().contains("i am mama\n") && fork.output().contains("i am child\n"), fork.output());

        // access and stack: SIGSEGV inside the guest (the shell sees 128 + 11), and the next programs still run
        assertEquals(128 + 11, by.get("access").status(), by.get("access").output());
        assertEquals(128 + 11, by.get("stack").status(), by.get("stack").output());

        // bomb: stopped by its own time limit, every process killed, the guest goes on to power off
        TrapExperiment.Result bomb = by.get("bomb");
        assertEquals(0, bomb.status(), bomb.output());
        assertTrue(bomb.output().contains("all killed"), bomb.output());
    }

    private static long freedKib(String console, String what) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(what) + "(\\d+)K").matcher(console);
        assertTrue(m.find(), what + " in\n" + console);
        return Long.parseLong(m.group(1));
    }
}
