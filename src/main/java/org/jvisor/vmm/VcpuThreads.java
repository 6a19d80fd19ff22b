package org.jvisor.vmm;

import org.jvisor.vmm.debug.Monitor;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import org.jvisor.cpu.BusError;
import org.jvisor.cpu.Esr;
import org.jvisor.hyp.Vcpu;
import org.jvisor.hyp.VcpuExit;

/**
 * One host thread per vCPU, each running the single exit switch of the VMM (kvmtool's kvm_cpu__start):
 * MMIO exits go to the {@link MmioBus}, PSCI system events power the board off or reset it. Stopping and
 * resetting reach every vCPU through a kick; a reset waits until all vCPUs have left the guest, reloads
 * the guest once, then resets each vCPU on its own thread.
 */
final class VcpuThreads {
    /**
     * What the board does once every vCPU has left the guest and been reset (each on its own thread):
     * reload memory, reset devices, set the boot vCPU's registers. Runs on one of the vCPU threads.
     */
    interface ResetAction {
        void reset(List<Vcpu> vcpus);
    }

    /** Exit status of a run that a vCPU's internal error ended. */
    static final int INTERNAL_ERROR = 1;
    /** Exit status of a run that a guest's warm reset ended (what the default guest's Linux does when it panics). */
    static final int GUEST_PANIC = 3;
    /** Exit status of a run that ended because no vCPU can ever run again (all off, or asleep with nothing to wake them). */
    static final int NEVER_RUNS_AGAIN = 4;
    private static final int MAX_BAD_MMIO_REPORTS = 10;

    private final List<Vcpu> vcpus;
    private final MmioBus mmio;
    private final boolean restartOnReset;
    private final ResetAction resetAction;
    private final PrintStream log;
    /** A reset: all vCPUs out of the guest ({@code gathered}), each reset by its thread, then the board reloads ({@code reset}). */
    private final CyclicBarrier gathered, reset;
    private final AtomicInteger badMmioReports = new AtomicInteger();
    private final Object done = new Object();
    private volatile boolean stopping, resetPending, pauseRequested;
    /** Short holds (a monitor reading registers): vCPUs park while any is held, whatever pause says. */
    private volatile int holds;
    /**
     * Threads of the run ({@code running}), those inside their loop ({@code entered}), and those parked. A
     * pause waits for every thread of the run, one just started too: before it parks it may still complete a
     * pending exit, on a vCPU a snapshot would be reading. Whether the VM is paused, as the user sees it, asks
     * only of those that entered: a thread not yet there runs no guest code before it parks.
     */
    private int status = -1, running, entered, parked;
    /** Who hears of a vCPU's debug halt (the GDB stub); null: the vCPU simply runs on. */
    private volatile java.util.function.Consumer<Vcpu> debugListener;

    VcpuThreads(List<Vcpu> vcpus, MmioBus mmio, boolean restartOnReset, ResetAction resetAction, PrintStream log) {
        this.vcpus = List.copyOf(vcpus);
        this.mmio = mmio;
        this.restartOnReset = restartOnReset;
        this.resetAction = resetAction;
        this.log = log;
        this.gathered = new CyclicBarrier(vcpus.size());
        this.reset = new CyclicBarrier(vcpus.size(), () -> {
            resetAction.reset(this.vcpus);
            resetPending = false;
        });
    }

    /** Starts the threads and waits until the guest powers off or {@link #stop} is called; the exit status. */
    int runUntilStopped() throws InterruptedException {
        synchronized (done) {
            running = vcpus.size();
        }
        for (Vcpu v : vcpus) Thread.ofPlatform().name("vcpu" + v.id()).daemon().start(() -> loop(v));
        synchronized (done) {
            while (running > 0) done.wait();
            return Math.max(status, 0);
        }
    }

    /** Ends the run with {@code exitStatus} (the first request wins); any thread. */
    void stop(int exitStatus) {
        synchronized (done) {
            if (status < 0) status = exitStatus;
        }
        stopping = true;
        synchronized (done) {
            done.notifyAll();
        }
        gathered.reset();
        reset.reset();
        for (Vcpu v : vcpus) v.kick();
    }

    boolean isStopping() { return stopping; }

    /**
     * Stops every vCPU outside the guest and returns once all are parked (a monitor's or debugger's
     * "stop"): their registers and the guest's memory may then be read and changed from the calling
     * thread until {@link #resume}. Returns at once if the run is over.
     */
    void pause() throws InterruptedException {
        synchronized (done) {
            pauseRequested = true;
        }
        for (Vcpu v : vcpus) v.kick();
        synchronized (done) {
            while (parked < running && !stopping) done.wait();
        }
    }

    /**
     * Asks every vCPU to park, without waiting (a vCPU's own thread may call it: a debug halt stops all
     * vCPUs, and the debugger's thread then waits in {@link #pause}).
     */
    void requestPause() {
        synchronized (done) {
            pauseRequested = true;
        }
        for (Vcpu v : vcpus) v.kick();
    }

    void setDebugListener(java.util.function.Consumer<Vcpu> listener) { debugListener = listener; }

    /** Lets the vCPUs parked by {@link #pause} run again. */
    void resume() {
        synchronized (done) {
            pauseRequested = false;
            done.notifyAll();
        }
    }

    /**
     * Parks every vCPU as {@link #pause} does, but counted and apart from the pause state: a monitor or
     * debugger that only looks (registers, a page walk) holds the vCPUs, and {@link #release} lets them
     * go on unless someone paused them meanwhile, so a look never resumes a VM another tool stopped.
     */
    void hold() throws InterruptedException {
        synchronized (done) {
            holds++;
        }
        for (Vcpu v : vcpus) v.kick();
        synchronized (done) {
            try {
                while (parked < running && !stopping) done.wait();
            } catch (InterruptedException e) {
                release();
                throw e;
            }
        }
    }

    void release() {
        synchronized (done) {
            if (holds > 0) holds--;
            done.notifyAll();
        }
    }

    private boolean parkRequested() { return pauseRequested || holds > 0; }

    /** Whether every vCPU is parked, by a pause or a hold. */
    boolean allParked() {
        synchronized (done) {
            return parkRequested() && parked == running;
        }
    }

    boolean isPaused() {
        synchronized (done) {
            return pauseRequested && parked == entered;
        }
    }

    private void park() {
        synchronized (done) {
            parked++;
            done.notifyAll();
            try {
                while (parkRequested() && !stopping) done.wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop(INTERNAL_ERROR);
            } finally {
                parked--;
            }
        }
    }

    private void loop(Vcpu v) {
        synchronized (done) {
            entered++;
        }
        try {
            while (!stopping) {
                if (resetPending) {
                    awaitReset(v);
                    continue;
                }
                if (parkRequested()) {
                    // KVM's immediate_exit: nothing is left half-done while parked, so a snapshot may be taken
                    VcpuExit pending = v.completePendingExit();
                    if (pending != null) handle(v, pending);
                    else park();
                    continue;
                }
                handle(v, v.run());
            }
        } finally {
            synchronized (done) {
                entered--;
                running--;
                done.notifyAll();
            }
        }
    }

    private void handle(Vcpu v, VcpuExit exit) {
        switch (exit) {
            case VcpuExit.Mmio m -> serveMmio(v, m);
            case VcpuExit.SystemEvent e -> {
                if (e.type() == VcpuExit.SystemEvent.Type.ALL_CPUS_OFF) {
                    log.println("jvisor: every vCPU is off (the last one called PSCI CPU_OFF): the guest can never run again; the run ends");
                    stop(NEVER_RUNS_AGAIN);
                } else if (e.type() == VcpuExit.SystemEvent.Type.NOTHING_CAN_WAKE) {
                    log.println("jvisor: every vCPU is off or waiting (WFI/WFE) with no timer armed and no interrupt enabled"
                            + " that could wake it: the guest can never run again; the run ends");
                    stop(NEVER_RUNS_AGAIN);
                } else if ((e.type() == VcpuExit.SystemEvent.Type.RESET || e.type() == VcpuExit.SystemEvent.Type.WARM_RESET)
                        && restartOnReset) {
                    resetPending = true;
                    for (Vcpu other : vcpus) other.kick();
                } else if (e.type() == VcpuExit.SystemEvent.Type.WARM_RESET) {
                    log.println("jvisor: the guest asked for a warm reset (PSCI SYSTEM_RESET2): Linux does so when it panics"
                            + " with panic=N reboot=panic_warm, as the default guest is booted; the run ends");
                    stop(GUEST_PANIC);
                } else {
                    stop(0);
                }
            }
            // Vendor hypercalls nobody registered: SMCCC's NOT_SUPPORTED, as KVM answers unknown calls.
            case VcpuExit.Hypercall h -> v.setX(0, -1);
            case VcpuExit.Debug d -> {
                var l = debugListener;
                if (l != null) l.accept(v);
            }
            case VcpuExit.InternalError e -> {
                log.println("jvisor: vCPU " + v.id() + " stopped: " + e.reason());
                log.println(e.registers());
                stop(INTERNAL_ERROR);
            }
            case VcpuExit.ExceptionLoop l -> {
                log.println("jvisor: " + describe(v, l));
                stop(INTERNAL_ERROR);
            }
            case VcpuExit.Interrupted i -> { }
        }
    }

    /**
     * The one line that ends a run whose guest is stuck: "vCPU 0 is stuck in an exception loop: EC 0x21
     * IABT_CUR at PC 0x200, vector 0x200 (VBAR_EL1 0x0 + 0x200), taken 10000 times in a row without progress".
     */
    static String describe(Vcpu v, VcpuExit.ExceptionLoop l) {
        String what = l.ec() >= 0 ? String.format("EC 0x%02x %s", l.ec(), Esr.ecName(l.ec()))
                : switch (l.vectorOffset() & 0x180) {
                    case 0x80 -> "IRQ";
                    case 0x100 -> "FIQ";
                    default -> "SError";
                };
        return String.format("vCPU %d is stuck in an exception loop: %s at PC 0x%x, vector 0x%x (VBAR_EL%d 0x%x + 0x%x), taken %d times in a row without progress",
                v.id(), what, l.pc(), l.vector(), l.el(), l.vector() - l.vectorOffset(), l.vectorOffset(), l.repeats());
    }

    private void serveMmio(Vcpu v, VcpuExit.Mmio m) {
        try {
            if (m.write()) mmio.write(m.address(), m.size(), m.data());
            else v.completeMmioRead(mmio.read(m.address(), m.size()));
        } catch (BusError e) {
            v.completeMmioUnclaimed();
            reportBadMmio(v, m, "no device there or access refused");
        } catch (RuntimeException e) {
            // A device bug must not take the VMM down: the guest sees an abort, the user a report.
            v.completeMmioUnclaimed();
            reportBadMmio(v, m, "device error: " + e);
        }
    }

    private void reportBadMmio(Vcpu v, VcpuExit.Mmio m, String why) {
        int n = badMmioReports.incrementAndGet();
        if (n > MAX_BAD_MMIO_REPORTS) return;
        log.printf("jvisor: vCPU %d: %d-byte MMIO %s at 0x%x: %s (guest gets an external abort)%s%n", v.id(), m.size(),
                m.write() ? "write" : "read", m.address(), why, n == MAX_BAD_MMIO_REPORTS ? "; further reports suppressed" : "");
    }

    private void awaitReset(Vcpu v) {
        try {
            gathered.await();
            v.reset();
            reset.await();
        } catch (BrokenBarrierException e) {
            // stop() broke the barrier: the loop sees stopping and ends
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop(INTERNAL_ERROR);
        }
    }
}
