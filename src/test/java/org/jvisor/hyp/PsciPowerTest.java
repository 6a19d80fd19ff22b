package org.jvisor.hyp;

import static org.jvisor.hyp.Guest.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import org.jvisor.cpu.Asm;
import org.jvisor.cpu.Ram;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * PSCI power management across vCPU threads (DEN 0022: CPU_ON returns SUCCESS once, then ALREADY_ON;
 * the target starts at the entry point with X0 = context id; AFFINITY_INFO 0 = ON, 1 = OFF), and the
 * trap trace's line format.
 */
@NeedsCross
class PsciPowerTest {
    /** vCPUs that power on vCPU 3 (CPU_ON64, context = own MPIDR Aff0), then stop with HVC #1; vCPU 3 records X0 and stops with HVC #2. */
    static final String RACE = """
            movz x0, #0x0003
            movk x0, #0xC400, lsl #16
            movz x1, #3
            adr x2, secondary
            mrs x3, mpidr_el1
            and x3, x3, #0xff
            hvc #0
            mov x19, x0
            hvc #1
            secondary:
            mov x19, x0
            hvc #2
            """;

    private static Vm vmWith(String src) {
        Vm vm = new Hypervisor().createVm();
        vm.setUserMemoryRegion(0, RAM, RAM_SIZE, Ram.allocate(RAM_SIZE));
        vm.writeGuest(RAM, Asm.assemble(src, RAM));
        return vm;
    }

    @Test
    void racingCpuOnGivesExactlyOneSuccess() throws Exception {
        for (int round = 0; round < 5; round++) {
            Vm vm = vmWith(RACE);
            List<Vcpu> racers = new ArrayList<>();
            for (int i = 0; i < 3; i++) racers.add(vm.createVcpu(i, true));
            Vcpu target = vm.createVcpu(3);
            VcpuExit[] exits = new VcpuExit[4];
            CyclicBarrier start = new CyclicBarrier(3);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Vcpu v = racers.get(i);
                v.setPc(RAM);
                int n = i;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    exits[n] = v.run();
                }));
            }
            threads.add(Thread.ofPlatform().start(() -> exits[3] = target.run()));
            for (Thread t : threads) t.join(10_000);
            int successes = 0, alreadyOn = 0;
            long winner = -1;
            for (int i = 0; i < 3; i++) {
                assertEquals(1, assertInstanceOf(VcpuExit.Hypercall.class, exits[i]).immediate());
                long r = racers.get(i).x(19);
                if (r == 0) {
                    successes++;
                    winner = i;
                } else if (r == -4) {
                    alreadyOn++;
                }
            }
            assertEquals(1, successes);
            assertEquals(2, alreadyOn);
            assertEquals(2, assertInstanceOf(VcpuExit.Hypercall.class, exits[3]).immediate());
            assertEquals(winner, target.x(19), "X0 at the entry point is the winner's context id");
        }
    }

    @Test
    void cpuOffAndAffinityInfo() throws Exception {
        Vm vm = vmWith("""
                movz x5, #0x0004
                movk x5, #0xC400, lsl #16
                mov x0, x5
                movz x1, #1
                mov x2, #0
                hvc #0
                mov x20, x0
                movz x0, #0x0003
                movk x0, #0xC400, lsl #16
                movz x1, #1
                adr x2, secondary
                movz x3, #7
                hvc #0
                mov x21, x0
                1: mov x0, x5
                movz x1, #1
                mov x2, #0
                hvc #0
                cmp x0, #1
                b.ne 1b
                mov x0, x5
                movz x1, #9
                mov x2, #0
                hvc #0
                mov x22, x0
                hvc #1
                secondary:
                mov x19, x0
                movz x0, #0x0002
                movk x0, #0x8400, lsl #16
                hvc #0
                movz x19, #0xdead
                """);
        Vcpu boot = vm.createVcpu(0), second = vm.createVcpu(1);
        boot.setPc(RAM);
        VcpuExit[] e2 = new VcpuExit[1];
        Thread t = Thread.ofPlatform().start(() -> e2[0] = second.run());
        VcpuExit e = boot.run();
        assertEquals(1, assertInstanceOf(VcpuExit.Hypercall.class, e).immediate());
        assertEquals(1, boot.x(20), "AFFINITY_INFO: secondary vCPUs start OFF");
        assertEquals(0, boot.x(21), "CPU_ON: SUCCESS");
        assertEquals(-2, boot.x(22), "AFFINITY_INFO of a missing vCPU: INVALID_PARAMETERS");
        second.kick(); // powered off again: its run() only returns when kicked
        t.join(10_000);
        assertInstanceOf(VcpuExit.Interrupted.class, e2[0]);
        assertEquals(7, second.x(19), "CPU_OFF does not return");
    }

    /** CPU_OFF of the last vCPU powered on: nothing can power one on again, which the VMM is told. */
    @Test
    void cpuOffOfTheLastVcpuEndsTheMachine() {
        Guest g = new Guest("""
                movz x0, #0x0002
                movk x0, #0x8400, lsl #16
                hvc #0
                """);
        g.vm.createVcpu(1); // powered off, and nothing left to power it on
        VcpuExit e = g.vcpu.run();
        assertEquals(VcpuExit.SystemEvent.Type.ALL_CPUS_OFF, assertInstanceOf(VcpuExit.SystemEvent.class, e).type());
    }

    /**
     * SYSTEM_RESET2 (PSCI 1.1, DEN 0022 5.20; Linux 6.1 uses it for reboot=warm): FEATURES reports it, reset
     * type 0 is the warm reset, any other type returns INVALID_PARAMETERS (architectural types 1-0x7fffffff are
     * reserved; jvisor has no vendor types).
     */
    @Test
    void systemReset2IsTheWarmReset() {
        Guest g = new Guest("""
                movz x0, #0x000A
                movk x0, #0x8400, lsl #16
                movz x1, #0x0012
                movk x1, #0xC400, lsl #16
                hvc #0
                mov x20, x0
                movz x0, #0x0012
                movk x0, #0xC400, lsl #16
                movz x1, #1
                hvc #0
                mov x21, x0
                movz x0, #0x0012
                movk x0, #0xC400, lsl #16
                movz x1, #0x8000, lsl #16
                hvc #0
                mov x22, x0
                movz x0, #0x0012
                movk x0, #0xC400, lsl #16
                mov x1, #0
                hvc #0
                """);
        VcpuExit e = g.vcpu.run();
        assertEquals(VcpuExit.SystemEvent.Type.WARM_RESET, assertInstanceOf(VcpuExit.SystemEvent.class, e).type());
        assertEquals(0, g.vcpu.x(20), "PSCI_FEATURES(SYSTEM_RESET2): SUCCESS");
        assertEquals(-2, g.vcpu.x(21), "a reserved architectural reset type: INVALID_PARAMETERS");
        assertEquals(-2, g.vcpu.x(22), "a vendor reset type jvisor does not have: INVALID_PARAMETERS");
    }

    @Test
    void wfiSleepUsesNoHostCpu() throws Exception {
        new Guest(OFF).vcpu.run(); // class initialization and decoding tables: not part of the measurement
        Guest g = new Guest("wfi\n" + OFF);
        var mx = ManagementFactory.getThreadMXBean();
        long[] cpuNs = new long[1];
        Thread t = Thread.ofPlatform().start(() -> {
            g.vcpu.run();
            cpuNs[0] = mx.getCurrentThreadCpuTime();
        });
        while (!g.vcpu.isIdle()) Thread.onSpinWait();
        Thread.sleep(300);
        g.vcpu.setIrqLine(true);
        t.join(10_000);
        // A busy wait would burn the whole 300 ms; a sleeping thread spends only the run's own setup.
        assertTrue(cpuNs[0] < 200_000_000L, "vCPU thread CPU time " + cpuNs[0] + " ns");
    }

    @Test
    void trapTraceLinesHaveTheSeedsShape() throws Exception {
        Guest g = new Guest(OFF);
        g.vcpu.run();
        assertEquals("[000] 583.461870: kvm_vm_hw2: CPU trap 1, MEM trap 1, IO trap 0",
                TrapTrace.line(0, 583.461870, g.vcpu.stats()));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true);
        TrapTrace.print(g.vm, out);
        assertTrue(buf.toString().matches("\\[000\\] \\d+\\.\\d{6}: kvm_vm_hw2: CPU trap 1, MEM trap 1, IO trap 0\\R"), buf.toString());
        try (TrapTrace tr = g.vm.startTrapTrace(5, out)) {
            assertNotNull(tr);
        }
    }

    @Test
    void trapTraceEndsWithTheFinalTotalsWhenTheRunIsShorterThanAPeriod() throws Exception {
        // three stores to a device: three IO traps; the first fetch maps the page: one MEM trap; PSCI's HVC: one CPU trap
        Guest g = new Guest("""
                movz x1, #0x0900, lsl #16
                str w0, [x1]
                str w0, [x1]
                str w0, [x1]
                """ + OFF);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        TrapTrace tr = g.vm.startTrapTrace(60_000, new PrintStream(buf, true));
        assertTrue(Guest.isShutdown(g.runServingReads(0)));
        tr.close();
        tr.close();
        assertTrue(buf.toString().matches("\\[000\\] \\d+\\.\\d{6}: kvm_vm_hw2: CPU trap 1, MEM trap 1, IO trap 3\\R"), buf.toString());
    }
}
