package org.jvisor.difftest;

import java.util.ArrayList;
import java.util.List;

/**
 * A test case: the initial state (X0-X30, SP as an offset into the scratch area, NZCV, the scratch
 * area's bytes, and for FP/SIMD sequences V0-V31, FPCR and FPSR; {@code fp} is null for the others) and
 * the units to run. {@code profile} names the reference CPU it needs.
 */
record Sequence(long[] x, int spOffset, int nzcv, byte[] scratch, List<Unit> units, Profile profile, FpState fp) {
    Sequence {
        if (x.length != 31) throw new IllegalArgumentException("31 registers expected");
        if (scratch.length != Layout.SCRATCH_SIZE) throw new IllegalArgumentException("scratch size");
        units = List.copyOf(units);
    }

    Sequence(long[] x, int spOffset, int nzcv, byte[] scratch, List<Unit> units, Profile profile) {
        this(x, spOffset, nzcv, scratch, units, profile, null);
    }

    /** This sequence without the units whose index {@code keep} leaves false; branch targets move to the next kept unit. */
    Sequence keeping(boolean[] keep) {
        int[] newIndex = new int[units.size() + 1];
        int k = 0;
        for (int i = 0; i <= units.size(); i++) {
            newIndex[i] = k;
            if (i < units.size() && keep[i]) k++;
        }
        List<Unit> out = new ArrayList<>();
        for (int i = 0; i < units.size(); i++) {
            if (!keep[i]) continue;
            Unit u = units.get(i);
            List<Insn> insns = new ArrayList<>();
            for (Insn in : u.insns()) insns.add(in.targetUnit() >= 0 ? in.retarget(newIndex[in.targetUnit()]) : in);
            out.add(new Unit(u.group(), insns));
        }
        return new Sequence(x, spOffset, nzcv, scratch, out, profile, fp);
    }

    Sequence withUnits(List<Unit> u) { return new Sequence(x, spOffset, nzcv, scratch, u, profile, fp); }

    Sequence withX(long[] regs) { return new Sequence(regs, spOffset, nzcv, scratch, units, profile, fp); }

    Sequence withNzcv(int flags) { return new Sequence(x, spOffset, flags, scratch, units, profile, fp); }

    Sequence withScratch(byte[] m) { return new Sequence(x, spOffset, nzcv, m, units, profile, fp); }

    Sequence withFp(FpState f) { return new Sequence(x, spOffset, nzcv, scratch, units, profile, f); }
}
