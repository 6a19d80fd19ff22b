package org.jvisor.lab;

import java.util.List;

/**
 * One row of the classification: an instruction, what it did at EL0 and at EL1, and Popek and Goldberg's
 * classes with the evidence for each.
 *
 * @param el0Trap         the exception it took at EL0, or null
 * @param el1Trap         the exception it took at EL1, or null
 * @param atEl2           for an instruction that takes an exception at both: whether it executes at EL2
 * @param controlReasons  the state it changed at EL1 (empty: not control-sensitive)
 * @param behaviourReasons the pairs of states whose results differed, and how (empty: not behaviour-sensitive)
 */
public record Verdict(SystemInstruction instruction, Trap el0Trap, Trap el1Trap, boolean atEl2,
        List<String> controlReasons, List<String> behaviourReasons) {

    /** Takes an exception at EL0 and not at EL1. */
    public boolean privileged() { return el0Trap != null && el1Trap == null; }

    /**
     * Takes an exception at EL0 and at EL1: SVC, BRK, HVC (UNDEFINED at EL0), the EL2 registers and operations
     * (UNDEFINED below EL2), and what the processor does not implement. Not privileged (it traps at EL1 too),
     * and never critical: run at EL0, it traps, so a VMM gets control.
     */
    public boolean trapsAtBoth() { return el0Trap != null && el1Trap != null; }

    public boolean controlSensitive() { return !controlReasons.isEmpty(); }

    public boolean behaviourSensitive() { return !behaviourReasons.isEmpty(); }

    public boolean sensitive() { return controlSensitive() || behaviourSensitive(); }

    /** Sensitive, yet it runs at EL0 without an exception: a VMM that runs a kernel at EL0 never sees it. */
    public boolean critical() { return sensitive() && el0Trap == null; }

    /** Why it is (or is not) privileged, in a few words. */
    public String trapReason() {
        if (privileged()) return "EL0: " + el0Trap;
        if (trapsAtBoth()) {
            String where = el0Trap.equals(el1Trap) ? "EL0 and EL1: " + el1Trap : "EL0: " + el0Trap + "; EL1: " + el1Trap;
            return where + (el1Trap.undefined() ? atEl2 ? " (executes at EL2: an EL2 instruction)"
                    : " (UNDEFINED at EL2 too: not implemented here)" : "");
        }
        if (el1Trap != null) return "EL1 only: " + el1Trap;
        return "";
    }

    /** UNDEFINED at EL0, EL1 and EL2 alike: an encoding this processor does not implement. */
    public boolean notImplemented() {
        return trapsAtBoth() && el0Trap.undefined() && el1Trap.undefined() && !atEl2;
    }

    public String name() { return instruction.text(); }
}
