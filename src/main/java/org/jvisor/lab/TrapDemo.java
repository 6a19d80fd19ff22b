package org.jvisor.lab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.SystemRegisters;
import org.jvisor.hyp.HideSeek;
import org.jvisor.hyp.TrapStats;
import org.jvisor.hyp.Vcpu;
import org.jvisor.hyp.Vm;
import org.jvisor.vmm.BoardConfig;
import org.jvisor.vmm.BootException;
import org.jvisor.vmm.VirtBoard;

/**
 * {@code jvisor demo}: the bare-metal guest {@code demo-guest.S} (embedded, assembled: {@code demo-guest.bin})
 * on the virt board provokes each kind of trap in turn. It ends every step with a "step done" hypercall
 * that the host serves in Java on the vCPU's thread, reading {@code vcpu.stats()} there: the difference
 * from the previous step's reading is exactly what the step caused (less that hypercall itself), with
 * no timing involved. Each step carries the counts the architecture and the trap configuration predict.
 */
public final class TrapDemo {
    static final String SOURCE = "demo-guest.S", BINARY = "demo-guest.bin";
    /** The guest's hypercalls (SMCCC vendor-specific hypervisor service range). */
    static final int STEP_DONE = 0xC6000D00, MULTIPLY = 0xC6000D01;
    /** Where the raw binary goes on the virt board (QEMU's rule: RAM + 0x80000). */
    static final long LOAD_ADDRESS = 0x4008_0000L;
    static final long RAM = 32L << 20;
    static final int PAGES = 16;
    static final String MESSAGE = "Hello from the guest, through the PL011!\n";
    static final int UNEXPECTED = 255;
    /** Steps 0..15, the same with either GIC. */
    static final int STEPS = 16;
    /** ESR_EL1 of an Undefined Instruction exception (EC 0x00) from an A64 instruction (IL = 1). */
    static final long ESR_UNDEFINED = Esr.encode(Esr.EC_UNKNOWN, 0);

    /** A step of the guest and what it should cost: per kind, per exception class, and the value it reports. */
    record Step(int number, String title, String why, long cpu, long mem, long io, Map<Integer, Long> exits, Long value, long esr) {}

    /** What a step cost, as the host read it at the step's "step done" hypercall. */
    record Outcome(Step step, long cpu, long mem, long io, Map<Integer, Long> exits, long value, long esr) {
        boolean asExpected() {
            return cpu == step.cpu && mem == step.mem && io == step.io && exits.equals(step.exits)
                    && (step.value == null || value == step.value) && esr == step.esr;
        }
    }

    /** A run of the demo. */
    public record Result(int gicVersion, List<Outcome> outcomes, String console, TrapStats total, int boardStatus, String failure) {
        public boolean allAsExpected() {
            return failure == null && boardStatus == 0 && outcomes.size() == STEPS
                    && outcomes.stream().allMatch(Outcome::asExpected);
        }
    }

    private TrapDemo() {}

    /**
     * The steps of the guest, in order, with their expected costs on a board with this GIC, with stage-2
     * faults mapping 4 KiB pages or (blocks) 2 MiB blocks.
     */
    static List<Step> steps(int gic, boolean blocks) {
        String granule = blocks ? "the 2 MiB block" : "4 KiB";
        List<Step> s = new ArrayList<>();
        s.add(new Step(0, "start: the first instruction fetch",
                "stage 2 starts empty: the fetch from the code page is a stage-2 fault (EC 0x20); the hypervisor maps " + granule,
                0, 1, 0, ec(Esr.EC_IABT_LOW, 1), null, 0));
        s.add(new Step(1, "MRS MIDR/SCTLR/ID_AA64MMFR0, CNTVCT; LDR",
                "no HCR_EL2 bit traps these; RAM already mapped at stage 2 needs no hypervisor",
                0, 0, 0, ec(), null, 0));
        s.add(new Step(2, "MRS ACTLR_EL1",
                "HCR_EL2.TACR (KVM default) traps the auxiliary control register: EC 0x18; the hypervisor reads it",
                1, 0, 0, ec(Esr.EC_SYS64, 1), null, 0));
        s.add(new Step(3, "DC CISW (clean+invalidate by set/way)",
                "HCR_EL2.TSW (KVM default) traps set/way cache maintenance: EC 0x18; a no-op here, no caches",
                1, 0, 0, ec(Esr.EC_SYS64, 1), null, 0));
        s.add(new Step(4, "MRS L2CTLR_EL1 (implementation defined)",
                "HCR_EL2.TIDCP (KVM default) traps IMPLEMENTATION DEFINED registers: EC 0x18; made Undefined for the guest",
                1, 0, 0, ec(Esr.EC_SYS64, 1), null, ESR_UNDEFINED));
        s.add(new Step(5, "MSR SCTLR/TCR/MAIR_EL1, each read first",
                "HCR_EL2.TVM (set by the host) traps writes to the MMU controls: EC 0x18 each; reads would need TRVM",
                3, 0, 0, ec(Esr.EC_SYS64, 3), null, 0));
        s.add(new Step(6, "MRS ID_AA64PFR0/ISAR0/MMFR0_EL1",
                "HCR_EL2.TID3 (set by the host) traps ID register reads: EC 0x18 each; the hypervisor answers them",
                3, 0, 0, ec(Esr.EC_SYS64, 3), null, 0));
        s.add(new Step(7, gic == 3 ? "GIC setup: GICD_CTLR, GICR_WAKER/IGROUPR0/..." : "GIC setup: GICD_CTLR/ISENABLER0, GICC_PMR/CTLR",
                "stores outside RAM are stage-2 data aborts (EC 0x24), here served by the in-kernel vGIC: IO traps"
                        + (gic == 3 ? ";\n         ICC_PMR_EL1 and ICC_IGRPEN1_EL1, the CPU interface's registers, do not trap" : ""),
                0, 0, 4, ec(Esr.EC_DABT_LOW, 4), null, 0));
        s.add(new Step(8, "WFI until the virtual timer fires",
                "HCR_EL2.TWI (KVM default) traps WFI: EC 0x01; the vCPU thread sleeps until the timer's PPI 27 is pending",
                1, 0, 0, ec(Esr.EC_WFX, 1), null, 0));
        s.add(new Step(9, "HVC: multiply 6 by 7, function 0xC6000D01",
                "HVC always goes to EL2: EC 0x16; answered by a Java handler (vm.registerHypercall)",
                1, 0, 0, ec(Esr.EC_HVC64, 1), 42L, 0));
        s.add(new Step(10, "SMC: PSCI_VERSION",
                "HCR_EL2.TSC (KVM default) traps SMC: EC 0x17; the hypervisor's PSCI answers (0x10001: version 1.1)",
                1, 0, 0, ec(Esr.EC_SMC64, 1), 0x10001L, 0));
        s.add(new Step(11, "STR into " + PAGES + " fresh pages",
                blocks ? "the first touch is a stage-2 fault (EC 0x24) that maps the whole 2 MiB block: one MEM trap for all"
                        : "a first touch of a RAM page is a stage-2 fault (EC 0x24): the hypervisor maps 4 KiB, one MEM trap a page",
                0, blocks ? 1 : PAGES, 0, ec(Esr.EC_DABT_LOW, blocks ? 1 : PAGES), null, 0));
        s.add(new Step(12, "LDR from the same " + PAGES + " pages",
                "they are mapped at stage 2 now: no trap",
                0, 0, 0, ec(), null, 0));
        s.add(new Step(13, MESSAGE.length() + " bytes written to the PL011's UARTDR",
                "no RAM at 0x09000000: each STRB is a stage-2 data abort (EC 0x24), an MMIO exit to the VMM's PL011",
                0, 0, MESSAGE.length(), ec(Esr.EC_DABT_LOW, MESSAGE.length()), null, 0));
        s.add(new Step(14, "hide/seek: hide 'p' at 0x0b000000, seek it",
                "MMIO (EC 0x24) to the hide/seek device, which keeps the byte in a stage-2 descriptor's bits [58:51]",
                0, 0, 2, ec(Esr.EC_DABT_LOW, 2), (long) 'p', 0));
        if (gic == 3)
            s.add(new Step(15, "MSR ICC_SGI1R_EL1: SGI 1 to this CPU",
                    "HCR_EL2.IMO makes SGI writes trap (the hypervisor must reach the other vCPUs): EC 0x18",
                    1, 0, 0, ec(Esr.EC_SYS64, 1), null, 0));
        else
            s.add(new Step(15, "STR GICD_SGIR: SGI 1 to this CPU",
                    "on a GICv2 SGIs are sent through the distributor: MMIO (EC 0x24) served by the vGIC",
                    0, 0, 1, ec(Esr.EC_DABT_LOW, 1), null, 0));
        return List.copyOf(s);
    }

    private static Map<Integer, Long> ec(long... pairs) {
        Map<Integer, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) m.put((int) pairs[i], pairs[i + 1]);
        return Collections.unmodifiableMap(m);
    }

    /** The guest's code as embedded in the jar. */
    static byte[] guest() {
        try (InputStream in = TrapDemo.class.getResourceAsStream(BINARY)) {
            if (in == null) throw new IllegalStateException(BINARY + " is missing from the build");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("reading " + BINARY + ": " + e.getMessage(), e);
        }
    }

    /** A reading of the counters. */
    private record Snapshot(long cpu, long mem, long io, long[] byEc) {
        static Snapshot of(TrapStats t) {
            long[] e = new long[64];
            for (int i = 0; i < 64; i++) e[i] = t.exits(i);
            return new Snapshot(t.cpuTraps(), t.memTraps(), t.ioTraps(), e);
        }
    }

    /**
     * Runs the demo on a virt board with {@code gic} (2 or 3), stage-2 faults mapping 2 MiB blocks if
     * {@code blocks} (else 4 KiB pages), printing each step to {@code out} as the
     * guest completes it.
     */
    public static Result run(int gic, boolean blocks, PrintStream out) throws BootException, InterruptedException {
        byte[] code = guest();
        List<Step> steps = steps(gic, blocks);
        Path kernel;
        try {
            kernel = Files.createTempFile("jvisor-demo-", ".bin");
            Files.write(kernel, code);
        } catch (IOException e) {
            throw new BootException("cannot write the demo guest to a temporary file: " + e.getMessage());
        }
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        BoardConfig config = new BoardConfig(RAM, 1, gic, true, List.of(), kernel, null, "", true);
        try (VirtBoard board = VirtBoard.build(config, console, out, false)) {
            Vm vm = board.vm();
            vm.setStage2Blocks(blocks);
            List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
            String[] failure = {null};
            Snapshot[] last = {new Snapshot(0, 0, 0, new long[64])};
            int[] consoleSeen = {0};

            out.printf("jvisor demo: a bare-metal guest (%s, %d bytes at 0x%x) on the virt board: 1 vCPU, %d MiB, GICv%d, hide/seek%s%n",
                    SOURCE, code.length, LOAD_ADDRESS, RAM >> 20, gic, blocks ? ", 2 MiB stage-2 blocks" : "");
            out.println("The guest ends each step with a \"step done\" hypercall (HVC #0, x0 = 0xC6000D00); there the host reads");
            out.println("vcpu.stats(). Counts are the step's own, without that hypercall: observed/expected.");
            out.println();
            out.printf("%-3s %-45s %-7s %-7s %-7s %s%n", "", "step", "CPU", "MEM", "IO", "exits by ESR_EL2.EC");

            vm.registerHypercall(MULTIPLY, v -> v.setX(0, v.x(1) * v.x(2)));
            vm.registerHypercall(STEP_DONE, v -> {
                int n = (int) v.x(1);
                Snapshot now = Snapshot.of(v.stats());
                Snapshot before = last[0];
                last[0] = now;
                v.setX(0, gic);
                if (n == UNEXPECTED || n != outcomes.size() || n >= steps.size()) {
                    failure[0] = n == UNEXPECTED
                            ? String.format("the guest took an unexpected exception at 0x%x (ESR_EL1 0x%x)", v.x(2), v.x(3))
                            : "the guest reported step " + n + " where step " + outcomes.size() + " was due";
                    out.println("jvisor demo: " + failure[0]);
                    return;
                }
                Map<Integer, Long> exits = new LinkedHashMap<>();
                for (int ec = 0; ec < 64; ec++) {
                    long d = now.byEc[ec] - before.byEc[ec] - (ec == Esr.EC_HVC64 ? 1 : 0);
                    if (d != 0) exits.put(ec, d);
                }
                Outcome o = new Outcome(steps.get(n), now.cpu - before.cpu - 1, now.mem - before.mem, now.io - before.io,
                        exits, v.x(2), v.x(3));
                outcomes.add(o);
                String text;
                synchronized (console) {
                    String all = console.toString(StandardCharsets.ISO_8859_1);
                    text = all.substring(consoleSeen[0]);
                    consoleSeen[0] = all.length();
                }
                print(out, o, detail(o, v, text));
                hostAction(out, vm, n);
            });

            Thread watchdog = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(30_000);
                    failure[0] = "the guest did not finish within 30 s";
                    board.stop(1);
                } catch (InterruptedException e) {
                    // the run ended first
                }
            });
            int status;
            try {
                status = board.run();
            } finally {
                watchdog.interrupt();
            }
            Vcpu vcpu = board.vcpus().get(0);
            Result r = new Result(gic, List.copyOf(outcomes), console.toString(StandardCharsets.ISO_8859_1), vcpu.stats(), status, failure[0]);
            summary(out, r, steps.size());
            return r;
        } finally {
            try {
                Files.deleteIfExists(kernel);
            } catch (IOException e) {
                // a temporary file: the system cleans it up
            }
        }
    }

    /** Trap configuration changes between steps, as a VMM would make them: applied at the vCPU's next entry. */
    private static void hostAction(PrintStream out, Vm vm, int step) {
        switch (step) {
            case 4 -> {
                vm.trapConfig().set(SystemRegisters.HCR_TVM);
                out.println("    host: vm.trapConfig().set(HCR_TVM)");
            }
            case 5 -> {
                vm.trapConfig().clear(SystemRegisters.HCR_TVM).set(SystemRegisters.HCR_TID3);
                out.println("    host: vm.trapConfig().clear(HCR_TVM).set(HCR_TID3)");
            }
            case 6 -> {
                vm.trapConfig().clear(SystemRegisters.HCR_TID3);
                out.println("    host: vm.trapConfig().clear(HCR_TID3)");
            }
            default -> { }
        }
    }

    /** What the step showed besides the counts: the values the guest reported, its console output. */
    private static String detail(Outcome o, Vcpu v, String console) {
        return switch (o.step.number) {
            case 4 -> String.format("the guest took Undefined Instruction: ESR_EL1 0x%08x (EC 0x%02x)", o.esr, Esr.ec(o.esr));
            case 6 -> String.format("ID_AA64MMFR0_EL1 = 0x%x: PARange %d (%d-bit physical addresses)", o.value, o.value & 15,
                    switch ((int) (o.value & 15)) { case 0 -> 32; case 1 -> 36; case 2 -> 40; case 3 -> 42; case 4 -> 44; case 5 -> 48; default -> 52; });
            case 9 -> "the guest got x0 = " + o.value;
            case 10 -> String.format("the guest got x0 = 0x%x", o.value);
            case 13 -> "the guest's console: " + console.replace("\n", "\\n");
            case 14 -> {
                long desc = v.stage2View().table().lookup(HideSeek.TARGET_IPA);
                yield String.format("the guest sought back 0x%02x '%c'; stage-2 descriptor 0x%016x, bits [58:51] = 0x%02x",
                        o.value, (char) o.value, desc, (desc >>> HideSeek.SHIFT) & 0xff);
            }
            default -> o.esr != o.step.esr ? String.format("the guest took an exception: ESR_EL1 0x%08x (EC 0x%02x)", o.esr, Esr.ec(o.esr)) : null;
        };
    }

    private static void print(PrintStream out, Outcome o, String detail) {
        Step s = o.step;
        StringBuilder ecs = new StringBuilder();
        for (var e : o.exits.entrySet())
            ecs.append(String.format("%s%s(0x%02x) %d", ecs.isEmpty() ? "" : ", ", Esr.ecName(e.getKey()), e.getKey(), e.getValue()));
        if (!o.exits.equals(s.exits)) {
            StringBuilder exp = new StringBuilder();
            for (var e : s.exits.entrySet()) exp.append(String.format("%s0x%02x %d", exp.isEmpty() ? "" : ", ", e.getKey(), e.getValue()));
            ecs.append(" (expected ").append(exp.isEmpty() ? "none" : exp).append(')');
        }
        out.printf("%2d  %-45s %-7s %-7s %-7s %s%s%n", s.number, s.title, o.cpu + "/" + s.cpu, o.mem + "/" + s.mem, o.io + "/" + s.io,
                ecs.isEmpty() ? "-" : ecs, o.asExpected() ? "" : "   <-- NOT AS EXPECTED");
        out.println("    why: " + s.why);
        if (detail != null) out.println("    " + detail);
    }

    private static void summary(PrintStream out, Result r, int stepCount) {
        TrapStats t = r.total;
        out.println();
        out.printf("total, with the %d step-done hypercalls and PSCI SYSTEM_OFF: %s%n", r.outcomes.size(), t);
        StringBuilder ecs = new StringBuilder();
        for (int ec = 0; ec < 64; ec++)
            if (t.exits(ec) != 0) ecs.append(String.format("%s%s(0x%02x) %d", ecs.isEmpty() ? "" : ", ", Esr.ecName(ec), ec, t.exits(ec)));
        out.println("exits by exception class: " + ecs);
        long good = r.outcomes.stream().filter(Outcome::asExpected).count();
        if (r.allAsExpected()) out.printf("all %d steps as expected%n", stepCount);
        else out.printf("%d of %d steps as expected%s%n", good, stepCount, r.failure != null ? ": " + r.failure : "");
    }
}
