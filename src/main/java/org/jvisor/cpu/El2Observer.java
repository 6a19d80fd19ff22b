package org.jvisor.cpu;

/**
 * What a hypervisor that lets its guest own EL2 sees of it without patching it: every exception the
 * processor takes to EL2 from EL0 or EL1, and every exception return from EL2 to them (see
 * {@link Cpu#el2Observer}). Called on the processor's thread, inside the instruction that causes it: keep
 * it to counting.
 */
public interface El2Observer {
    /**
     * An exception taken to EL2 from EL0 or EL1, before EL2 runs.
     *
     * @param esr             the syndrome written to ESR_EL2, or -1 for an interrupt (IRQ, FIQ)
     * @param preferredReturn the address written to ELR_EL2
     * @param hcrEl2          HCR_EL2 at the time (VM set: the exception came from a guest of the guest)
     */
    void taken(long esr, long preferredReturn, long hcrEl2);

    /** An exception return from EL2 to EL0 or EL1, to {@code target}, with HCR_EL2 {@code hcrEl2}. */
    void returned(long target, long hcrEl2);
}
