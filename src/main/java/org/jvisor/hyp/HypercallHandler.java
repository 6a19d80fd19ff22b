package org.jvisor.hyp;

/**
 * A Java handler for an SMCCC function id called by HVC #0 (or SMC #0), served without leaving
 * {@link Vcpu#run()}: it reads the arguments with {@code vcpu.x(1..7)} and writes results with
 * {@code vcpu.setX(0, ...)}; the guest continues after the call. Runs on the vCPU's thread.
 */
@FunctionalInterface
public interface HypercallHandler {
    void handle(Vcpu vcpu);
}
