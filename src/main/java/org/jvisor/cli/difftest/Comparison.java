package org.jvisor.cli.difftest;

import java.util.ArrayList;
import java.util.List;

/** What differs between jvisor's outcome and QEMU's, one line per register, flag set or memory word. */
final class Comparison {
    private Comparison() {}

    static List<String> diff(Outcome jv, Outcome qemu, long memAddr, byte[] initial) {
        List<String> d = new ArrayList<>();
        if (jv.note() != null) d.add("jvisor: " + jv.note());
        if (jv.signal() != qemu.signal())
            d.add("signal: jvisor " + describeSignal(jv) + ", QEMU " + describeSignal(qemu));
        else if (jv.signal() != 0) {
            if (jv.faultPc() != qemu.faultPc()) d.add("fault pc: jvisor " + hex(jv.faultPc()) + ", QEMU " + hex(qemu.faultPc()));
            if (jv.faultAddrMeaningful() && jv.faultAddr() != qemu.faultAddr())
                d.add("fault address: jvisor " + hex(jv.faultAddr()) + ", QEMU " + hex(qemu.faultAddr()));
        }
        for (int k = 0; k < 31; k++)
            if (jv.x()[k] != qemu.x()[k]) d.add("x" + k + ": jvisor " + hex(jv.x()[k]) + ", QEMU " + hex(qemu.x()[k]));
        if (jv.sp() != qemu.sp()) d.add("sp: jvisor " + hex(jv.sp()) + ", QEMU " + hex(qemu.sp()));
        if (jv.nzcv() != qemu.nzcv()) d.add("nzcv: jvisor " + flags(jv.nzcv()) + ", QEMU " + flags(qemu.nzcv()));
        byte[] a = jv.memory(), b = qemu.memory();
        for (int off = 0; off < a.length; off += 8) {
            long va = word(a, off), vb = word(b, off);
            if (va != vb)
                d.add("mem[" + hex(memAddr + off) + "]: jvisor " + hex(va) + ", QEMU " + hex(vb) + " (initially " + hex(word(initial, off)) + ")");
        }
        return d;
    }

    static String describeSignal(Outcome o) {
        if (o.signal() == 0) return "none";
        String s = Outcome.signalName(o.signal()) + " at pc " + hex(o.faultPc());
        if (o.faultAddrMeaningful()) s += " (address " + hex(o.faultAddr()) + ")";
        return s;
    }

    static String flags(int nzcv) {
        return ((nzcv & 8) != 0 ? "N" : "n") + ((nzcv & 4) != 0 ? "Z" : "z") + ((nzcv & 2) != 0 ? "C" : "c")
                + ((nzcv & 1) != 0 ? "V" : "v");
    }

    static String hex(long v) { return String.format("0x%016x", v); }

    private static long word(byte[] b, int off) {
        long v = 0;
        for (int k = 7; k >= 0; k--) v = v << 8 | (b[off + k] & 0xff);
        return v;
    }
}
