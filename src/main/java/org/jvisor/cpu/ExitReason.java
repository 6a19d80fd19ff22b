package org.jvisor.cpu;

/** Why {@link Cpu#run} returned. */
public enum ExitReason {
    /** An exception was taken to EL2 while the host owns EL2: the syndrome is in ESR_EL2, FAR_EL2, HPFAR_EL2. */
    EL2_TRAP,
    /**
     * An exception was taken to EL1 while the host owns EL1 ({@link Cpu#hostOwnsEl1}): the syndrome is in
     * ESR_EL1, FAR_EL1, ELR_EL1 and SPSR_EL1, and {@link Cpu#lastVectorOffset} tells an interrupt.
     */
    EL1_TRAP,
    /** The instruction budget ran out. */
    BUDGET,
    /** Another thread asked the processor to stop ({@link Cpu#kick}). */
    STOPPED,
    /**
     * WFI/WFE with nothing pending and no trap: the caller should sleep until an interrupt arrives, and for a
     * WFE also until an event ({@link Cpu#setEventListener}) or the timer's event stream's next tick
     * ({@link GenericTimer#ticksToNextEvent}).
     */
    WAIT_FOR_INTERRUPT,
    /** A debug event with external debug (halting) enabled, for the GDB stub. */
    DEBUG_HALT,
    /**
     * The guest takes the same exception over and over without progress ({@link ExceptionLoopWatch}):
     * {@link Cpu#exceptionLoop()} says which. Running again lets it go on.
     */
    EXCEPTION_LOOP,
    /**
     * An SMC that {@link Cpu#firmware} serves as the absent EL3 would: PC is past the SMC (EL3's preferred
     * return), X0-X17 hold the call; the caller performs it and runs the processor again.
     */
    FIRMWARE_CALL
}
