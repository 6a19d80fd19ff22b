package org.jvisor.lab;

import java.util.List;

/**
 * The classification of the A64 system space under one setting of EL1's controls, and Popek and Goldberg's
 * Theorem 1 for it: a VMM can be built by trap-and-emulate if the sensitive instructions are a subset of the
 * privileged ones, that is if no instruction is critical.
 *
 * @param pan         whether the processor classified has FEAT_PAN
 * @param verdicts    one per instruction, in {@link SystemSpace}'s order
 * @param notImplemented the MSR (immediate) fields and LDTR/STTR variants the processor UNDEFINEs at every EL
 */
public record Classification(El1Controls controls, boolean pan, List<Verdict> verdicts, List<String> notImplemented) {
    public List<Verdict> critical() { return verdicts.stream().filter(Verdict::critical).toList(); }

    public List<Verdict> sensitive() { return verdicts.stream().filter(Verdict::sensitive).toList(); }

    public List<Verdict> privileged() { return verdicts.stream().filter(Verdict::privileged).toList(); }

    /**
     * Theorem 1's condition: every sensitive instruction traps when run at EL0 (privileged, or an instruction
     * that traps at both ELs, which a VMM running the kernel at EL0 sees just the same).
     */
    public boolean sensitiveSubsetOfPrivileged() { return critical().isEmpty(); }

    public Verdict verdict(String instruction) {
        for (Verdict v : verdicts) if (v.name().equalsIgnoreCase(instruction)) return v;
        throw new IllegalArgumentException("no instruction " + instruction);
    }
}
