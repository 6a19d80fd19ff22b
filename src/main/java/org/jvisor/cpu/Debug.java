package org.jvisor.cpu;

/**
 * The self-hosted debug architecture: software step, hardware breakpoints and watchpoints. Active only
 * while {@link Cpu#debugActive} is set, so the normal path pays nothing for it.
 */
final class Debug {
    private Debug() {}

    /** Called before each instruction while debug is active. */
    static void beforeStep(Cpu cpu) {}

    static void checkWatchpoint(Cpu cpu, long va, int size, boolean write) {}

    /** Whether PSTATE.SS may be set on return to {@code newEl} (MDSCR_EL1.SS and the debug target EL). */
    static boolean softwareStepEnabledAfterEret(Cpu cpu, int newEl) {
        return (cpu.dbg.mdscr & 1) != 0;
    }
}
