package org.jvisor.difftest;

import java.util.List;

/**
 * An instruction under test preceded by the set-up words it needs (its base register, its branch
 * target): the minimiser keeps or drops a unit as a whole. The instruction under test is the last word.
 */
record Unit(String group, List<Insn> insns) {
    Unit {
        insns = List.copyOf(insns);
    }

    Insn main() { return insns.getLast(); }
}
