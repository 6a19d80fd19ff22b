package org.jvisor.lab;

import org.jvisor.cpu.Esr;

/** An exception an instruction took: the EL it was taken to (1 or 2) and its syndrome. */
public record Trap(int el, long esr) {
    public int ec() { return Esr.ec(esr); }

    /** Undefined Instruction (EC 0x00): the encoding does not exist at that EL. */
    public boolean undefined() { return ec() == Esr.EC_UNKNOWN; }

    /** E.g. "SYS64 (EC 0x18) to EL1, ESR 0x62300000". */
    @Override
    public String toString() {
        return Esr.ecName(ec()) + " (EC 0x" + Integer.toHexString(ec()) + ") to EL" + el + ", ESR 0x" + Long.toHexString(esr);
    }
}
