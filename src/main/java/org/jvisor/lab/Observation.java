package org.jvisor.lab;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What one execution of one instruction did, as {@link ProbeMachine} saw it: the exception it took (if any),
 * the general-purpose registers and flags after it, the memory it may have written, and the system registers,
 * PSTATE fields and translations before and after.
 *
 * @param exceptionEl the EL the instruction's exception was taken to (1 or 2), or 0 if it completed
 * @param esr         the syndrome of that exception
 */
record Observation(int exceptionEl, long esr, long[] x, int nzcv, byte[] memory, Map<String, Long> registersBefore,
        Map<String, Long> registersAfter, Map<String, Long> translationBefore, Map<String, Long> translationAfter) {

    boolean trapped() { return exceptionEl != 0; }

    /** The exception taken, or null. */
    Trap trap() { return trapped() ? new Trap(exceptionEl, esr) : null; }

    private String exception() { return trapped() ? trap().toString() : "no exception"; }

    /** The registers (and PSTATE fields) whose value changed, with their new value. */
    Map<String, Long> changedRegisters() {
        Map<String, Long> m = new LinkedHashMap<>();
        registersAfter.forEach((name, v) -> {
            if (!Objects.equals(registersBefore.get(name), v)) m.put(name, v);
        });
        return m;
    }

    /** The planted translations that changed, with their new result. */
    Map<String, Long> changedTranslations() {
        Map<String, Long> m = new LinkedHashMap<>();
        translationAfter.forEach((name, v) -> {
            if (!Objects.equals(translationBefore.get(name), v)) m.put(name, v);
        });
        return m;
    }

    /**
     * How this observation's result differs from {@code other}'s, or "" if it does not: the exception taken,
     * the destination registers, the flags, memory, and the system registers it changed and their new values.
     */
    String resultDifference(Observation other) {
        if (exceptionEl != other.exceptionEl || esr != other.esr) return "exception: " + exception() + " vs " + other.exception();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < x.length; i++) if (x[i] != other.x[i]) append(b, "X" + i);
        if (nzcv != other.nzcv) append(b, "NZCV");
        if (!Arrays.equals(memory, other.memory)) append(b, "memory written");
        Map<String, Long> mine = changedRegisters(), theirs = other.changedRegisters();
        for (String r : mine.keySet()) if (!Objects.equals(mine.get(r), theirs.get(r))) append(b, r);
        for (String r : theirs.keySet()) if (!mine.containsKey(r)) append(b, r);
        return b.toString();
    }

    private static void append(StringBuilder b, String s) {
        if (!b.isEmpty()) b.append(", ");
        b.append(s);
    }
}
