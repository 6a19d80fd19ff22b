package org.jvisor.hyp;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The trace point of the seeds' experiment: every {@code period}, one line per vCPU with its running
 * totals, {@code [000] 583.461870: kvm_vm_hw2: CPU trap 17414, MEM trap 23228, IO trap 636} (vCPU id,
 * seconds since the VM was created). Runs on a daemon thread of its own; {@link #close()} stops it and
 * prints the final totals in the same shape, so a run shorter than a period is traced too.
 */
public final class TrapTrace implements AutoCloseable {
    private final Vm vm;
    private final PrintStream out;
    private final Thread thread;
    private volatile boolean stopped;

    TrapTrace(Vm vm, long periodMillis, PrintStream out) {
        if (periodMillis <= 0) throw new IllegalArgumentException("period " + periodMillis);
        this.vm = vm;
        this.out = out;
        thread = Thread.ofPlatform().daemon().name("jvisor-trap-trace").unstarted(() -> {
            while (!stopped) {
                try {
                    Thread.sleep(periodMillis);
                } catch (InterruptedException e) {
                    return;
                }
                if (!stopped) print(vm, out);
            }
        });
        thread.start();
    }

    /** Prints one line per vCPU now. */
    static void print(Vm vm, PrintStream out) {
        double seconds = (System.nanoTime() - vm.createdNanos()) / 1e9;
        for (Vcpu v : vm.vcpus()) out.println(line(v.id(), seconds, v.stats()));
        out.flush();
    }

    static String line(int vcpu, double seconds, TrapStats s) {
        return String.format(Locale.ROOT, "[%03d] %.6f: kvm_vm_hw2: %s", vcpu, seconds, s);
    }

    /** Stops the periodic lines and prints the last ones (once): call it when the vCPUs have stopped, for final totals. */
    @Override
    public synchronized void close() {
        if (stopped) return;
        stopped = true;
        thread.interrupt();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        print(vm, out);
    }
}
