package org.jvisor.hyp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.jvisor.cpu.GicCpuInterface.Register;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;

/**
 * A GIC saved with interrupts pending (a level SPI held high, a latched edge SPI, a PPI, an SGI between
 * CPUs), one active and a running priority raised, restored into a freshly built GIC: every register reads
 * as before, the vCPUs' interrupt inputs are driven again, and the acknowledges and EOIs that follow give
 * what the GIC architecture specification (IHI 0048B, IHI 0069) says and what the uninterrupted GIC gives.
 */
class VgicStateTest {
    static final int SPURIOUS = 1023;

    record Machine(Vm vm, Vcpu[] vcpus, Vgic gic) {
        static Machine of(int version, int cpus) {
            Vm vm = new Hypervisor().createVm();
            Vcpu[] v = new Vcpu[cpus];
            for (int i = 0; i < cpus; i++) v[i] = vm.createVcpu(i, true);
            return new Machine(vm, v, Vgic.create(vm, version));
        }

        void dist(int cpu, long off, int size, long value) { gic.dist.distributor().write(vcpus[cpu], off, size, value); }

        long dist(int cpu, long off) { return gic.dist.distributor().read(vcpus[cpu], off, 4); }

        /** GICv3: SGI_base + off of CPU {@code cpu}'s redistributor. */
        void sgiBase(int cpu, long off, int size, long value) {
            gic.dist.redistributors().write(vcpus[cpu], Vgic.REDIST_STRIDE * cpu + 0x10000 + off, size, value);
        }

        long redist(int cpu, long off) { return gic.dist.redistributors().read(vcpus[cpu], Vgic.REDIST_STRIDE * cpu + off, 4); }

        /** Acknowledge (GICC_IAR, ICC_IAR1_EL1), as CPU {@code cpu}. */
        int ack(int cpu) {
            return (int) (gic.version == 2 ? gic.cpus[cpu].readGicc(0x0c) : gic.cpus[cpu].read(Register.IAR1));
        }

        void eoi(int cpu, int intid) {
            if (gic.version == 2) gic.cpus[cpu].writeGicc(0x10, intid);
            else gic.cpus[cpu].write(Register.EOIR1, intid);
        }

        byte[] save() {
            StateWriter w = new StateWriter();
            gic.saveState(w);
            return w.toByteArray();
        }

        /** Every register without a side effect on a read, as each CPU sees it, and each CPU's IRQ/FIQ outputs. */
        List<Long> registers() {
            List<Long> r = new ArrayList<>();
            for (int c = 0; c < vcpus.length; c++) {
                for (long off = 0; off < 0x1000; off += 4) r.add(dist(c, off));
                if (gic.version == 3) {
                    for (long off = 0x6100; off < 0x6000 + 8 * gic.irqs; off += 4) r.add(dist(c, off));
                    for (long off : new long[] {0x14, 0x10080, 0x10100, 0x10200, 0x10300, 0x10c00, 0x10c04}) r.add(redist(c, off));
                    for (long off = 0x10400; off < 0x10420; off += 4) r.add(redist(c, off));
                    for (Register reg : new Register[] {Register.PMR, Register.BPR0, Register.BPR1, Register.AP0R0,
                            Register.AP1R0, Register.RPR, Register.CTLR, Register.IGRPEN0, Register.IGRPEN1,
                            Register.HPPIR0, Register.HPPIR1})
                        r.add(gic.cpus[c].read(reg));
                } else {
                    for (long off : new long[] {0x00, 0x04, 0x08, 0x14, 0x18, 0x1c, 0xd0, 0xd4, 0xe0})
                        r.add(gic.cpus[c].readGicc(off));
                }
                r.add(gic.cpus[c].irqOut ? 1L : 0L);
                r.add(gic.cpus[c].fiqOut ? 1L : 0L);
            }
            return r;
        }
    }

    /**
     * Two CPUs. SPI 33 (level, priority 0xa0, CPU 0) held high; SPI 34 (edge, 0x80, CPU 0) pulsed; SPI 35
     * (level, Group 1, 0x60, CPU 1) held high; PPI 27 of CPU 0 (0x90) high; SGI 3 (0x40) sent by CPU 0 to
     * CPU 1. Then CPU 0 acknowledges (SPI 34, the highest for it) and is left in its handler.
     */
    static Machine programmed(int version) {
        Machine m = Machine.of(version, 2);
        Vgic g = m.gic;
        if (version == 2) {
            m.dist(0, 0x000, 4, 3);
            m.dist(0, 0x084, 4, 1 << 3);            // IGROUPR1: SPI 35 in Group 1
            m.dist(0, 0x400 + 33, 1, 0xa0);
            m.dist(0, 0x400 + 34, 1, 0x80);
            m.dist(0, 0x400 + 35, 1, 0x60);
            m.dist(0, 0x400 + 27, 1, 0x90);        // banked: CPU 0's PPI 27
            m.dist(1, 0x400 + 3, 1, 0x40);         // CPU 1's SGI 3
            m.dist(0, 0x800 + 33, 1, 1);
            m.dist(0, 0x800 + 34, 1, 1);
            m.dist(0, 0x800 + 35, 1, 2);
            m.dist(0, 0xc08, 4, 2 << 4);           // ICFGR2: SPI 34 edge
            m.dist(0, 0x104, 4, 0b1110);           // ISENABLER1: 33, 34, 35
            m.dist(0, 0x100, 4, 1 << 27);          // CPU 0's PPI 27
            for (int c = 0; c < 2; c++) {
                g.cpus[c].writeGicc(0x00, 7);      // EnableGrp0, EnableGrp1, AckCtl: IAR takes either group
                g.cpus[c].writeGicc(0x04, 0xf0);
            }
            m.dist(0, 0xf00, 4, (1 << 1) << 16 | 3); // GICD_SGIR: SGI 3 to CPU 1
        } else {
            m.dist(0, 0x000, 4, 2);                // EnableGrp1 (Group 1 only, as Linux)
            m.dist(0, 0x084, 4, 0b1110);           // IGROUPR1: 33-35 in Group 1
            m.dist(0, 0x400 + 33, 1, 0xa0);
            m.dist(0, 0x400 + 34, 1, 0x80);
            m.dist(0, 0x400 + 35, 1, 0x60);
            m.dist(0, 0x6000 + 8 * 33, 4, 0);
            m.dist(0, 0x6000 + 8 * 34, 4, 0);
            m.dist(0, 0x6000 + 8 * 35, 4, 1);      // IROUTER35: Aff0 = 1
            m.dist(0, 0xc08, 4, 2 << 4);
            m.dist(0, 0x104, 4, 0b1110);
            for (int c = 0; c < 2; c++) {
                m.sgiBase(c, 0x080, 4, -1L & 0xffffffffL); // IGROUPR0: SGIs and PPIs in Group 1
                g.cpus[c].write(Register.PMR, 0xf0);
                g.cpus[c].write(Register.IGRPEN1, 1);
            }
            m.sgiBase(0, 0x400 + 27, 1, 0x90);
            m.sgiBase(0, 0x100, 4, 1 << 27);
            m.sgiBase(1, 0x400 + 3, 1, 0x40);
            m.sgiBase(1, 0x100, 4, 1 << 3);
            g.cpus[0].write(Register.SGI1R, 3L << 24 | 1 << 1); // SGI 3 to Aff0 = 1
        }
        g.setSpiLevel(33, true);
        g.setSpiLevel(34, true);
        g.setSpiLevel(34, false);
        g.setSpiLevel(35, true);
        g.setPrivateLevel(0, 27, true);
        assertEquals(34, m.ack(0), "the highest-priority interrupt pending for CPU 0");
        return m;
    }

    /**
     * What follows, as each CPU's handler would: CPU 0 ends SPI 34 and takes PPI 27, then finds SPI 33 below
     * its running priority; CPU 1 takes SGI 3 (from CPU 0: source 0 in [12:10]) and, once it ended it, SPI 35
     * (0x60 does not preempt 0x40). With both ended and the lines of PPI 27 and SPI 35 low, CPU 0 takes SPI 33, whose line is
     * still high, and CPU 1 has nothing: a level-sensitive interrupt is pending only while its line is high.
     */
    static List<Integer> goOn(Machine m) {
        List<Integer> seen = new ArrayList<>();
        m.eoi(0, 34);
        seen.add(m.ack(0));
        seen.add(m.ack(0));
        seen.add(m.ack(1));
        m.eoi(1, 3);
        seen.add(m.ack(1));
        m.eoi(1, 35);
        m.gic.setPrivateLevel(0, 27, false); // the timer's handler has set its next deadline
        m.eoi(0, 27);
        m.gic.setSpiLevel(35, false);
        seen.add(m.ack(0));
        seen.add(m.ack(1));
        return seen;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void restoredGicReadsAndGoesOnAsTheOriginal(int version) {
        Machine original = programmed(version);
        byte[] saved = original.save();
        Machine restored = Machine.of(version, 2);
        StateReader r = new StateReader(saved);
        restored.gic.restoreState(r);
        r.end();
        assertEquals(original.registers(), restored.registers());
        assertFalse(restored.gic.cpus[0].irqOut, "CPU 0's IRQ: PPI 27 (0x90) does not preempt SPI 34 (0x80)");
        assertTrue(restored.gic.cpus[1].irqOut, "CPU 1's IRQ: SGI 3");

        List<Integer> expected = List.of(27, SPURIOUS, 3, 35, 33, SPURIOUS);
        assertEquals(expected, goOn(restored), "the GIC spec's order, from the restored GIC");
        assertEquals(expected, goOn(original), "and from the one never saved");
        assertEquals(original.registers(), restored.registers());
        assertArrayEquals(original.save(), restored.save());
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void aSnapshotRestoredTwiceGivesTwoIndependentGics(int version) {
        byte[] saved = programmed(version).save();
        Machine a = Machine.of(version, 2), b = Machine.of(version, 2);
        a.gic.restoreState(new StateReader(saved));
        b.gic.restoreState(new StateReader(saved));
        assertEquals(goOn(a), goOn(b));
        assertArrayEquals(a.save(), b.save());
    }

    private static void refused(int version, Consumer<Vgic> craft) {
        Machine m = programmed(version);
        craft.accept(m.gic);
        byte[] bad = m.save();
        assertThrows(StateException.class, () -> Machine.of(version, 2).gic.restoreState(new StateReader(bad)));
    }

    @Test
    void statesNoRegisterWriteProducesAreRefused() {
        refused(2, g -> g.distCtlr = 4);
        refused(2, g -> g.enabled[0] &= ~1);               // a GICv2 SGI disabled
        refused(2, g -> g.targets[1] = (byte) 0x80);       // CPU interface 7 of 2
        refused(2, g -> g.sgiSources[16 + 3] = 0);         // SGI 3 pending with no source
        refused(2, g -> g.edge[1] &= ~2);                  // SGI 1 level-sensitive
        refused(2, g -> g.cpus[0].bpr0 = 8);
        refused(2, g -> g.cpus[0].ctlr = 1 << 5);
        refused(3, g -> g.route[0] = 1L << 40);
        refused(3, g -> g.cpus[1].pmr = 0x07);             // 5 priority bits
        refused(3, g -> g.cpus[0].apr[1] = 1);             // a 33rd preemption level
        refused(3, g -> g.cpus[0].bpr1 = 2);               // BPR1's minimum is BPR0's + 1
        refused(3, g -> g.level[0] |= 1);                  // a line into an SGI
    }

    @Test
    void anotherMachineABadTagOrATruncatedStateIsRefused() {
        byte[] v3 = programmed(3).save();
        assertThrows(StateException.class, () -> Machine.of(2, 2).gic.restoreState(new StateReader(v3)));
        assertThrows(StateException.class, () -> Machine.of(3, 1).gic.restoreState(new StateReader(v3)));
        byte[] badTag = v3.clone();
        badTag[4] ^= 1;
        assertThrows(StateException.class, () -> Machine.of(3, 2).gic.restoreState(new StateReader(badTag)));
        for (int cut : new int[] {1, 8, v3.length / 2, v3.length - 1}) {
            byte[] truncated = Arrays.copyOf(v3, cut);
            assertThrows(StateException.class, () -> Machine.of(3, 2).gic.restoreState(new StateReader(truncated)));
        }
    }
}
