package org.jvisor.hyp;

/**
 * Handles one exception class of exits (an entry of {@link ExitHandlers}' table, like an entry of KVM's
 * arm_exit_handlers[]). Called on the vCPU's thread right after the guest trapped, with the processor at
 * EL2 and ESR_EL2/FAR_EL2/HPFAR_EL2/ELR_EL2 describing the trap. Returns null once the guest is resumed
 * (the handler has returned to it), or the exit the caller must see.
 */
@FunctionalInterface
interface ExitHandler {
    VcpuExit handle(Vcpu vcpu, int iss);
}
