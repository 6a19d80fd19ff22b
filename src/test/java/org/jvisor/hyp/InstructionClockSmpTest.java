package org.jvisor.hyp;

import static org.jvisor.hyp.Guest.RAM;
import static org.jvisor.hyp.Guest.RAM_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jvisor.cpu.Asm;
import org.jvisor.cpu.Ram;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * Two vCPUs, each on its own thread, on the instruction clock ({@link GuestClock#INSTRUCTIONS}). The
 * references are the architecture's and QEMU's icount's: one system counter for the machine, which a read on
 * any processor never finds below a read another made before it (Arm ARM D11.1.2: the counter gives every PE
 * a uniform view of system time); it counts the instructions every vCPU retires, and skips forward only when
 * every vCPU waits, to the earliest deadline among them. The guests here wait with their virtual timer
 * armed and no interrupt controller: a due deadline ends the WFI.
 */
@NeedsCross
class InstructionClockSmpTest {
    private static final long DATA = RAM + 0x10_0000;
    /** Words at DATA: the lock, the last count read under it, reads found below it, vCPUs done, a flag, 4 results, vCPU 0's rounds left. */
    private static final int LOCK = 0, LAST = 8, BELOW = 16, DONE = 24, FLAG = 32, WOKE0 = 40, CVAL0 = 48, WOKE1 = 56,
            CVAL1 = 64, ROUNDS_LEFT = 72;

    private static final String HEAD = """
                mrs x0, mpidr_el1
                and x0, x0, #0xff
                ldr x20, =%d
                cbnz x0, vcpu1
            """.formatted(DATA);

    /** Waits for the virtual timer {@code ticks} ahead (register or immediate): its CVAL in x9, the count at the wake in x10. */
    private static String waitTimer(String ticks) {
        return """
                    ldr x1, =%s
                    msr cntv_tval_el0, x1
                    mov x1, #1
                    msr cntv_ctl_el0, x1
                    isb
                    mrs x9, cntv_cval_el0
                1:  wfi
                    mrs x10, cntvct_el0
                    cmp x10, x9
                    b.lo 1b
                    msr cntv_ctl_el0, xzr
                """.formatted(ticks);
    }

    /** DONE += 1, then PSCI CPU_OFF: an off vCPU waits, so the other may still skip the clock. */
    private static final String FINISH = """
            finish:
                add x2, x20, #%d
            1:  ldxr x1, [x2]
                add x1, x1, #1
                stxr w3, x1, [x2]
                cbnz w3, 1b
                movz x0, #0x0002
                movk x0, #0x8400, lsl #16
                hvc #0
                b .
                .ltorg
            """.formatted(DONE);

    private static final String SET_FLAG = """
                add x2, x20, #%d
                mov x1, #1
                stlr x1, [x2]
            """.formatted(FLAG);

    private static final String AWAIT_FLAG = """
                add x2, x20, #%d
            2:  ldar x1, [x2]
                cbz x1, 2b
            """.formatted(FLAG);

    /** Two vCPUs powered on at the program, each run on a thread of its own (the same at every start) until kicked. */
    private final List<Machine> machines = new ArrayList<>();

    @AfterEach
    void close() {
        for (Machine m : machines) m.close();
    }

    private Machine machine(String program) {
        Machine m = new Machine(Asm.assemble(program, RAM));
        for (Vcpu v : m.vcpus) v.setPc(RAM);
        return m;
    }

    private final class Machine {
        final Vm vm = new Hypervisor().createVm(GuestClock.INSTRUCTIONS);
        final Vcpu[] vcpus = new Vcpu[2];
        final ExecutorService[] threads = new ExecutorService[2];
        final List<Future<VcpuExit>> runs = new ArrayList<>();

        Machine(byte[] ram) {
            vm.setUserMemoryRegion(0, RAM, RAM_SIZE, Ram.allocate(RAM_SIZE));
            vm.writeGuest(RAM, ram);
            for (int i = 0; i < 2; i++) {
                vcpus[i] = vm.createVcpu(i, true);
                threads[i] = Executors.newSingleThreadExecutor(Thread.ofPlatform().factory());
            }
            machines.add(this);
        }

        Machine start() {
            for (int i = 0; i < 2; i++) runs.add(threads[i].submit(vcpus[i]::run));
            return this;
        }

        long word(int offset) { return vm.readGuest64(DATA + offset); }

        void awaitWord(int offset, java.util.function.LongPredicate until) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!until.test(word(offset))) {
                assertTrue(System.nanoTime() < deadline, "stuck: word " + offset + " is " + word(offset));
                Thread.sleep(1);
            }
        }

        /** Kicks both out of the guest: each run returns Interrupted, or, the last vCPU to power off, ALL_CPUS_OFF. */
        void stop() throws Exception {
            for (Vcpu v : vcpus) v.kick();
            for (Future<VcpuExit> f : runs) {
                VcpuExit e = f.get(10, TimeUnit.SECONDS);
                assertTrue(e instanceof VcpuExit.Interrupted
                        || e instanceof VcpuExit.SystemEvent s && s.type() == VcpuExit.SystemEvent.Type.ALL_CPUS_OFF, "exit " + e);
            }
            runs.clear();
        }

        void close() {
            for (ExecutorService t : threads) t.shutdownNow();
            vm.close();
        }

        long instructions() { return vcpus[0].cpu.instret + vcpus[1].cpu.instret; }
    }

    @Test
    void aWaitingVcpuWaitsForTheOthersInstructions() throws Exception {
        Machine m = machine(HEAD + waitTimer("100000").replace("1:  wfi", SET_FLAG + "1:  wfi") + """
                    str x9, [x20, #%d]
                    str x10, [x20, #%d]
                    b finish
                vcpu1:
                """.formatted(CVAL0, WOKE0) + AWAIT_FLAG + """
                    ldr x7, =1000000
                3:  subs x7, x7, #1
                    b.ne 3b
                    b finish
                """ + FINISH).start();
        m.awaitWord(DONE, d -> d == 2);
        m.stop();
        assertTrue(m.word(WOKE0) >= m.word(CVAL0), "woke at its deadline");
        // vCPU 1 ran 2M instructions from the moment vCPU 0 waited for 100 000 ticks: no skip was needed
        assertEquals(m.instructions(), m.vm.clockCount(), "the count is the two vCPUs' instructions, nothing skipped");
        assertEquals(m.vm.clockCount(), m.vcpus[0].counter());
        assertEquals(m.vm.clockCount(), m.vcpus[1].counter());
    }

    @Test
    void whenBothWaitTheCountSkipsToTheEarlierDeadline() throws Exception {
        Machine m = machine(HEAD + AWAIT_FLAG + waitTimer("1000") + """
                    str x9, [x20, #%d]
                    str x10, [x20, #%d]
                    b finish
                vcpu1:
                """.formatted(CVAL0, WOKE0) + waitTimer("100000000").replace("1:  wfi", SET_FLAG + "1:  wfi") + """
                    str x9, [x20, #%d]
                    str x10, [x20, #%d]
                    b finish
                """.formatted(CVAL1, WOKE1) + FINISH).start();
        m.awaitWord(DONE, d -> d == 2);
        m.stop();
        // vCPU 0's deadline is the earlier: the count skips there, not to vCPU 1's (then, vCPU 0 off, to vCPU 1's);
        // after each skip the vCPU woken retires its WFI and MRS, the other nothing
        long late0 = m.word(WOKE0) - m.word(CVAL0), late1 = m.word(WOKE1) - m.word(CVAL1);
        assertTrue(late0 >= 0 && late0 <= 2, "vCPU 0 woke " + late0 + " ticks after its deadline");
        assertTrue(late1 >= 0 && late1 <= 2, "vCPU 1 woke " + late1 + " ticks after its deadline");
        assertTrue(m.word(CVAL1) - m.word(CVAL0) > 90_000_000L, "the deadlines are 100 000 000 and 1000 ticks ahead");
    }

    /**
     * Both vCPUs in rounds of work and timer waits (of different lengths, so each waits sometimes alone,
     * sometimes with the other), reading the counter under a lock before and after each wait; a read below
     * the last one made under the lock is counted.
     */
    private static final String ROUNDS = HEAD + """
                ldr x17, =7000
                ldr x18, =30000
                b 1f
            vcpu1:
                ldr x17, =2000
                ldr x18, =90000
            1:  mov x6, #40
            round:
                mov x7, x17
            3:  subs x7, x7, #1
                b.ne 3b
                bl locked_read
            """ + waitTimer("0").replace("ldr x1, =0", "mov x1, x18") + """
                bl locked_read
                cbnz x0, 4f
                str x6, [x20, #%d]
            4:  subs x6, x6, #1
                b.ne round
                b finish
            locked_read:
                add x2, x20, #%d
                mov w13, #1
            5:  ldaxr w11, [x2]
                cbnz w11, 5b
                stxr w12, w13, [x2]
                cbnz w12, 5b
                isb
                mrs x14, cntvct_el0
                ldr x15, [x20, #%d]
                cmp x14, x15
                b.hs 6f
                ldr x16, [x20, #%d]
                add x16, x16, #1
                str x16, [x20, #%d]
            6:  str x14, [x20, #%d]
                stlr wzr, [x2]
                ret
            """.formatted(ROUNDS_LEFT, LOCK, LAST, BELOW, BELOW, LAST) + FINISH;

    @Test
    void everyVcpuReadsOneCounterThatNeverGoesBack() throws Exception {
        Machine m = machine(ROUNDS).start();
        m.awaitWord(DONE, d -> d == 2);
        m.stop();
        assertEquals(0, m.word(BELOW), "reads below an earlier one");
        assertTrue(m.vm.clockCount() >= m.word(LAST) && m.vm.clockCount() > m.instructions(), "some waits were skipped");
    }

    @Test
    void savedMidWayAndRestoredTheCountGoesOnFromTheSavedOne() throws Exception {
        Machine going = machine(ROUNDS).start();
        going.awaitWord(ROUNDS_LEFT, left -> left != 0 && left <= 20);
        going.stop();
        for (Vcpu v : going.vcpus) assertEquals(null, v.completePendingExit());
        long count = going.vm.clockCount(), last = going.word(LAST);
        assertTrue(last <= count, "the count read last is no later than the count saved");
        byte[][] states = new byte[2][];
        for (int i = 0; i < 2; i++) {
            StateWriter w = new StateWriter();
            going.vcpus[i].saveState(w);
            states[i] = w.toByteArray();
        }

        Machine restored = new Machine(going.vm.readGuest(RAM, (int) RAM_SIZE));
        for (int i = 0; i < 2; i++) {
            StateReader r = new StateReader(states[i]);
            restored.vcpus[i].restoreState(r);
            r.end();
        }
        restored.vm.restoreClock(count);
        assertEquals(count, restored.vcpus[0].counter(), "vCPU 0 reads the saved count");
        assertEquals(count, restored.vcpus[1].counter(), "vCPU 1 reads the saved count");

        // the saved machine and the restored one both go on to the end, the restored one's reads never below
        // the reads made before the save (the last is in its RAM)
        going.start();
        restored.start();
        going.awaitWord(DONE, d -> d == 2);
        restored.awaitWord(DONE, d -> d == 2);
        going.stop();
        restored.stop();
        assertEquals(0, going.word(BELOW), "reads below an earlier one, in the machine never saved");
        assertEquals(0, restored.word(BELOW), "reads below an earlier one, across the restore");
        assertTrue(restored.word(LAST) > count, "the restored machine counted on from the saved count");
    }
}
