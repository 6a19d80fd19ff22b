package org.jvisor.guest;

import java.io.Console;
import java.io.PrintStream;

/** Hears how obtaining the default guest goes: a step at a time, with a percentage while downloading. */
public interface ProgressListener {
    /** A step begins ("downloading busybox-static 1:1.35.0-4+deb12u1+b1"). */
    void step(String message);

    /** How far the current step is, 0 to 100. */
    default void percent(double percent) {}

    /** All steps are over (successfully or not). */
    default void done() {}

    /** Says nothing. */
    ProgressListener NONE = message -> {};

    /**
     * One line on stderr, rewritten in place as steps and percentages change and erased when done, when
     * stderr is a terminal; silent otherwise, so logs and pipes get no progress noise.
     */
    static ProgressListener console() {
        Console c = System.console();
        if (c == null || !c.isTerminal()) return NONE;
        PrintStream err = System.err;
        return new ProgressListener() {
            private String current = "";

            @Override
            public void step(String message) {
                current = message;
                err.print("\r\033[K[jvisor] " + message);
                err.flush();
            }

            @Override
            public void percent(double percent) {
                err.printf("\r\033[K[jvisor] %s %3.0f%%", current, percent);
                err.flush();
            }

            @Override
            public void done() {
                err.print("\r\033[K");
                err.flush();
            }
        };
    }
}
