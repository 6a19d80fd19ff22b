package org.jvisor.hyp;

/**
 * Handles one exception class of exits (an entry of {@link ExitHandlers}' table, like an entry of KVM's
 * arm_exit_handlers[]). Called on the vCPU's thread once {@link ExitHandlers} has returned the processor
 * to the guest's context (its EL, PSTATE and registers; the PC at the trap's preferred return, ELR_EL2),
 * with ESR_EL2/FAR_EL2/HPFAR_EL2/ELR_EL2 still describing the trap. Returns what the guest does next:
 * {@link ExitHandlers#RESUME} or {@link ExitHandlers#SKIP}, with an exit for the caller added by
 * {@link ExitHandlers#exit}. A handler never moves the PC itself, except by injecting an exception.
 */
@FunctionalInterface
interface ExitHandler {
    int handle(Vcpu vcpu, int iss);
}
