package org.jvisor.difftest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MinimiserTest {
    private static Sequence seq(int n) {
        List<Unit> units = new ArrayList<>();
        for (int i = 0; i < n; i++) units.add(new Unit("t", List.of(Insn.fixed(A64.movz(i % 31, i, 0)))));
        return new Sequence(new long[31], 0, 0, new byte[Layout.SCRATCH_SIZE], units, Profile.A57);
    }

    private static boolean has(Sequence s, int imm) {
        for (Unit u : s.units()) if (u.main().word() == A64.movz(imm % 31, imm, 0)) return true;
        return false;
    }

    @Test
    void keepsOnlyTheUnitsTheFailureNeeds() {
        int[] calls = {0};
        Minimiser.Oracle needs3and11 = cands -> {
            calls[0]++;
            boolean[] f = new boolean[cands.size()];
            for (int i = 0; i < f.length; i++) f[i] = has(cands.get(i), 3) && has(cands.get(i), 11);
            return f;
        };
        Sequence min = Minimiser.minimise(seq(16), needs3and11);
        assertEquals(2, min.units().size());
        assertEquals(A64.movz(3, 3, 0), min.units().get(0).main().word());
        assertEquals(A64.movz(11, 11, 0), min.units().get(1).main().word());
        assertEquals(true, calls[0] <= 12, "rounds: " + calls[0]);
    }

    @Test
    void aFailureThatNeedsNoInstructionMinimisesToTheEmptySequence() {
        Sequence min = Minimiser.minimise(seq(5), cands -> {
            boolean[] f = new boolean[cands.size()];
            java.util.Arrays.fill(f, true);
            return f;
        });
        assertEquals(0, min.units().size());
    }

    @Test
    void branchTargetsFollowTheUnitsThatRemain() {
        List<Unit> units = new ArrayList<>();
        units.add(new Unit("branch", List.of(new Insn(0x14000000, Insn.Fix.BRANCH26, 2))));
        units.add(new Unit("t", List.of(Insn.fixed(A64.NOP))));
        units.add(new Unit("t", List.of(Insn.fixed(A64.NOP))));
        Sequence s = new Sequence(new long[31], 0, 0, new byte[Layout.SCRATCH_SIZE], units, Profile.A57);
        Sequence dropped = s.keeping(new boolean[] {true, false, true});
        assertEquals(1, dropped.units().get(0).main().arg(), "B now targets the unit that was third");
        Sequence droppedTarget = s.keeping(new boolean[] {true, true, false});
        assertEquals(2, droppedTarget.units().get(0).main().arg(), "B now targets the end");
        long[] addr = {0x1000, 0x1004, 0x1008};
        assertEquals(0x14000001, dropped.units().get(0).main().resolve(0x1000, addr, 0));
    }

    @Test
    void theInitialStateKeepsOnlyWhatTheFailureNeeds() {
        long[] x = new long[31];
        java.util.Arrays.fill(x, 5);
        byte[] m = new byte[Layout.SCRATCH_SIZE];
        java.util.Arrays.fill(m, (byte) 1);
        Sequence s = new Sequence(x, 0, 0xf, m, seq(2).units(), Profile.A57);
        Sequence min = Minimiser.simplifyState(s, cands -> {
            boolean[] f = new boolean[cands.size()];
            for (int i = 0; i < f.length; i++) f[i] = cands.get(i).x()[3] == 5 && cands.get(i).scratch()[100] == 1;
            return f;
        });
        for (int k = 0; k < 31; k++) assertEquals(k == 3 ? 5 : 0, min.x()[k], "x" + k);
        assertEquals(0, min.nzcv());
        for (int i = 0; i < m.length; i++) assertEquals(i >= 96 && i < 104 ? 1 : 0, min.scratch()[i], "byte " + i);
        assertEquals(2, min.units().size());
    }
}
