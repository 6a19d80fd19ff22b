package org.jvisor.lab;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jvisor.cpu.Features;
import org.jvisor.lab.ProbeMachine.Variant;

/**
 * Popek and Goldberg's classes of every A64 system instruction, decided by executing it on jvisor's processor
 * ({@link ProbeMachine}) under one setting of EL1's controls:
 * <ul>
 * <li>privileged: it takes an exception at EL0 and not at EL1;
 * <li>control-sensitive: executed at EL1, it changes state that configures the machine: a system register or
 *     PSTATE field other than a process's own context ({@link #PROCESS_CONTEXT}), or a translation of a
 *     planted page (a TLBI drops a stale TLB entry);
 * <li>behaviour-sensitive: its result (exception, registers, flags, memory, the registers it writes) differs
 *     between two states that differ only in the privilege level (EL0 vs EL1, when neither traps) or in
 *     privileged configuration a VMM changes (relocated memory, the operand page's EL0 access,
 *     VPIDR/VMPIDR/CNTVOFF_EL2), run at EL1;
 * <li>critical: sensitive, and it runs at EL0 without an exception.
 * </ul>
 * An instruction that takes an exception at both ELs (SVC, BRK, HVC, EL2 instructions) is neither privileged
 * nor critical and is not compared: the exception is what it does, and at EL0 a VMM sees it.
 */
public final class Classifier {
    /**
     * What a process owns and may change itself (what Linux saves per task as the user context besides
     * X0-X30 and PC): changing it configures nothing, so an instruction that only changes it is not
     * control-sensitive. DAIF is not here even where SCTLR_EL1.UMA lets EL0 write it: it masks interrupts.
     */
    static final Set<String> PROCESS_CONTEXT = Set.of("NZCV", "FPCR", "FPSR", "TPIDR_EL0", "SP_EL0");
    private static final List<Variant> PAIRS = List.of(Variant.RELOCATED, Variant.OPERAND_PAGE_EL1_ONLY, Variant.VIRTUAL_CPU);

    private Classifier() {}

    /** Classifies the default processor's system space (a Cortex-A57's features) under {@code controls}. */
    public static Classification classify(El1Controls controls) {
        return classify(controls, Features.cortexA57());
    }

    /** Classifies the system space of a processor with {@code features} (e.g. with FEAT_PAN) under {@code controls}. */
    public static Classification classify(El1Controls controls, Features features) {
        ProbeMachine m = new ProbeMachine(controls, features);
        List<Verdict> verdicts = new ArrayList<>();
        List<String> notImplemented = new ArrayList<>();
        for (SystemInstruction insn : SystemSpace.instructions()) {
            Verdict v = classify(m, insn);
            boolean enumeratedEncoding = insn.register() == null
                    && (insn.group().equals(SystemInstruction.MSR_IMMEDIATE) || insn.group().equals(SystemInstruction.UNPRIVILEGED));
            if (enumeratedEncoding && v.notImplemented()) notImplemented.add(insn.text());
            else verdicts.add(v);
        }
        return new Classification(controls, features.pan, verdicts, notImplemented);
    }

    static Verdict classify(ProbeMachine m, SystemInstruction insn) {
        long[] operands = m.operands(insn);
        long x0 = operands[0];
        Observation el1 = m.run(insn, x0, 1, Variant.BASE);
        for (int i = 1; i < operands.length && !changesState(el1); i++) {
            Observation next = m.run(insn, operands[i], 1, Variant.BASE);
            if (changesState(next)) {
                x0 = operands[i];
                el1 = next;
            }
        }
        Observation el0 = m.run(insn, x0, 0, Variant.BASE);
        Trap el0Trap = el0.trap(), el1Trap = el1.trap();
        List<String> control = new ArrayList<>(), behaviour = new ArrayList<>();
        boolean atEl2 = false;
        if (el0.trapped() && el1.trapped()) {
            atEl2 = m.executesAtEl2(insn, x0);
        } else if (!el1.trapped()) {
            control.addAll(controlChanges(el1));
            if (!el0.trapped()) {
                String d = el0.resultDifference(el1);
                if (!d.isEmpty()) behaviour.add("EL0 vs EL1: " + d);
            }
            for (Variant v : PAIRS) {
                String d = el1.resultDifference(m.run(insn, x0, 1, v));
                if (!d.isEmpty()) behaviour.add(v.description + ": " + d);
            }
        }
        return new Verdict(insn, el0Trap, el1Trap, atEl2, List.copyOf(control), List.copyOf(behaviour));
    }

    private static boolean changesState(Observation o) {
        return !o.trapped() && (!o.changedRegisters().isEmpty() || !o.changedTranslations().isEmpty());
    }

    /** The configuring state an EL1 execution changed: registers and PSTATE fields, then translations. */
    private static List<String> controlChanges(Observation o) {
        List<String> l = new ArrayList<>();
        for (String r : o.changedRegisters().keySet()) if (!PROCESS_CONTEXT.contains(r)) l.add(r);
        Set<String> pages = new LinkedHashSet<>();
        for (String t : o.changedTranslations().keySet()) pages.add(t.substring(0, t.indexOf(" page") + 5));
        for (String page : pages) l.add("translation of the " + page);
        return l;
    }
}
