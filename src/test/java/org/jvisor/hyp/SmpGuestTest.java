package org.jvisor.hyp;

import static org.jvisor.hyp.Guest.RAM;
import static org.jvisor.hyp.Guest.RAM_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.ArrayList;
import java.util.List;
import org.jvisor.cpu.Asm;
import org.jvisor.cpu.Ram;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * A guest on several vCPUs, each run by its own host thread through {@link Vcpu#run()}, as a VMM runs
 * an SMP guest: the locking idioms of Linux (an LDAXR/STXR spinlock whose waiters sleep in WFE, as
 * arm64's {@code __cmpwait} does, and LL/SC atomics) keep shared counters exact, while stage 2 is
 * filled on faults from every vCPU at once.
 */
@NeedsCross
class SmpGuestTest {
    static final long LOCK = RAM + 0x10_0000, COUNTER = RAM + 0x10_0100, ATOMIC = RAM + 0x10_0200;

    /** Each vCPU: N rounds of (spinlock; COUNTER += 1; unlock) and (LL/SC ATOMIC += 1), then HVC #1. */
    static final String PROGRAM = """
                ldr x1, =%d
                ldr x2, =%d
                ldr x3, =%d
                ldr x9, =%d
                mov w5, #1
            loop:
                // lock: try, and while it is held wait for an event (the holder's store, a stray wake-up)
                sevl
            1:  wfe
            2:  ldaxr w6, [x1]
                cbnz w6, 1b
                stxr w7, w5, [x1]
                cbnz w7, 2b
                ldr x8, [x2]
                add x8, x8, #1
                str x8, [x2]
                stlr wzr, [x1]
            3:  ldxr x8, [x3]
                add x8, x8, #1
                stxr w7, x8, [x3]
                cbnz w7, 3b
                subs x9, x9, #1
                b.ne loop
                hvc #1
                .ltorg
            """;

    private static void run(int vcpus, int n) throws InterruptedException {
        Vm vm = new Hypervisor().createVm();
        vm.setUserMemoryRegion(0, RAM, RAM_SIZE, Ram.allocate(RAM_SIZE));
        vm.writeGuest(RAM, Asm.assemble(PROGRAM.formatted(LOCK, COUNTER, ATOMIC, n), RAM));
        VcpuExit[] exits = new VcpuExit[vcpus];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < vcpus; i++) {
            Vcpu v = vm.createVcpu(i, true);
            v.setPc(RAM);
            int k = i;
            threads.add(Thread.ofPlatform().start(() -> exits[k] = v.run()));
        }
        for (Thread t : threads) t.join(60_000);
        for (VcpuExit e : exits) assertEquals(1, assertInstanceOf(VcpuExit.Hypercall.class, e).immediate());
        assertEquals((long) vcpus * n, vm.readGuest64(COUNTER));
        assertEquals((long) vcpus * n, vm.readGuest64(ATOMIC));
        vm.close();
    }

    @Test
    void twoVcpusCountExactly() throws InterruptedException {
        for (int round = 0; round < 3; round++) run(2, 50_000);
    }

    @Test
    void fourVcpusCountExactly() throws InterruptedException {
        run(4, 10_000);
    }
}
