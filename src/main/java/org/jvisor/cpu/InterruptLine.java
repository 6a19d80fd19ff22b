package org.jvisor.cpu;

/**
 * A level-sensitive interrupt output of the processor (a timer, the PMU), to be wired to an interrupt
 * controller input (a GIC PPI). Called on the processor's thread, only when the level changes.
 */
@FunctionalInterface
public interface InterruptLine {
    void set(boolean level);
}
