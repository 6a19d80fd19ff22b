package org.jvisor.hyp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.SplittableRandom;
import org.jvisor.cpu.GicCpuInterface;
import org.jvisor.cpu.Ram;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The GIC under accesses no driver makes: every offset of its frames with every width and random values,
 * every CPU interface register with random values, while another thread toggles SPIs. Nothing may throw;
 * afterwards {@link Vgic#reset()} brings back the reset values (those QEMU shows, GicRegistersTest), and a
 * vCPU reset leaves the GIC's state alone.
 */
class GicHostileGuestTest {

    private static Vgic gic(int version, Vcpu[] vcpus) {
        Vm vm = new Hypervisor().createVm();
        vm.setUserMemoryRegion(0, 0x4000_0000L, 1 << 20, Ram.allocate(1 << 20));
        for (int i = 0; i < vcpus.length; i++) vcpus[i] = vm.createVcpu(i);
        return Vgic.create(vm, version);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void randomAccessesThrowNothingAndResetRestoresTheResetValues(int version) throws Exception {
        Vcpu[] v = new Vcpu[2];
        Vgic g = gic(version, v);
        VcpuMmioHandler dist = g.dist.distributor();
        VcpuMmioHandler other = version == 2 ? g.dist.cpuInterface() : g.dist.redistributors();
        long otherSize = version == 2 ? Vgic.CPU_IF_SIZE : g.redistributorSize();
        Thread toggler = Thread.ofPlatform().start(() -> {
            SplittableRandom r = new SplittableRandom(2);
            for (int i = 0; i < 200_000; i++) g.setSpiLevel(32 + r.nextInt(g.spiCount()), r.nextBoolean());
        });
        SplittableRandom r = new SplittableRandom(version);
        int[] sizes = {1, 2, 4, 8};
        for (int i = 0; i < 300_000; i++) {
            Vcpu who = v[r.nextInt(2)];
            boolean d = r.nextBoolean();
            long off = r.nextLong(d ? Vgic.DIST_SIZE : otherSize);
            if (r.nextInt(4) != 0) off &= ~0x3fL; // mostly near register starts
            int size = sizes[r.nextInt(4)];
            long value = r.nextInt(3) == 0 ? -1L : r.nextLong();
            VcpuMmioHandler h = d ? dist : other;
            if (r.nextBoolean()) h.read(who, off, size);
            else h.write(who, off, size, value);
            if (version == 3 && r.nextInt(8) == 0) {
                GicCpuInterface.Register reg = GicCpuInterface.Register.values()[r.nextInt(GicCpuInterface.Register.values().length)];
                if (r.nextBoolean()) g.cpus[r.nextInt(2)].read(reg);
                else g.cpus[r.nextInt(2)].write(reg, r.nextLong());
            }
        }
        toggler.join();
        for (int spi = 0; spi < g.spiCount(); spi++) g.spiLine(spi).set(false);
        g.reset();
        assertEquals(version == 2 ? 0 : 0x50, dist.read(v[0], 0, 4), "GICD_CTLR");
        assertEquals(0, dist.read(v[1], 0x104, 4), "GICD_ISENABLER1");
        assertEquals(0, dist.read(v[1], 0x304, 4), "GICD_ISACTIVER1");
        assertEquals(0, dist.read(v[1], 0x420, 4), "GICD_IPRIORITYR8");
        if (version == 2) {
            assertEquals(0xffff, dist.read(v[1], 0x100, 4), "GICD_ISENABLER0: SGIs always enabled");
            assertEquals(0x02020202, dist.read(v[1], 0x800, 4), "GICD_ITARGETSR0 of CPU 1");
            assertEquals(0, other.read(v[1], 0x04, 4), "GICC_PMR");
            assertEquals(1, other.read(v[1], 0x1c, 4), "GICC_ABPR");
            assertEquals(0xff, other.read(v[1], 0x14, 4), "GICC_RPR idle");
            assertEquals(1023, other.read(v[1], 0x0c, 4), "GICC_IAR with nothing pending");
        } else {
            assertEquals(6, other.read(v[0], 0x20014, 4), "GICR_WAKER of CPU 1");
            assertEquals(0xaaaaaaaaL, other.read(v[0], 0x30c00, 4), "GICR_ICFGR0 of CPU 1");
            assertEquals(0, other.read(v[0], 0x30100, 4), "GICR_ISENABLER0 of CPU 1");
            assertEquals(3, g.cpus[1].read(GicCpuInterface.Register.BPR1));
            assertEquals(0xff, g.cpus[1].read(GicCpuInterface.Register.RPR));
            assertEquals(1023, g.cpus[1].read(GicCpuInterface.Register.IAR1));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void aVcpuResetLeavesTheGicAlone(int version) {
        Vcpu[] v = new Vcpu[1];
        Vgic g = gic(version, v);
        VcpuMmioHandler dist = g.dist.distributor();
        dist.write(v[0], 0, 4, 1);
        dist.write(v[0], 0x104, 4, 0x10);
        g.setSpiLevel(36, true);
        if (version == 2) g.dist.cpuInterface().write(v[0], 0x04, 4, 0xf0);
        else g.cpus[0].write(GicCpuInterface.Register.PMR, 0xf0);
        v[0].reset();
        assertEquals(version == 2 ? 1 : 0x51, dist.read(v[0], 0, 4), "GICD_CTLR");
        assertEquals(0x10, dist.read(v[0], 0x104, 4), "GICD_ISENABLER1");
        assertEquals(0x10, dist.read(v[0], 0x204, 4), "GICD_ISPENDR1: the line is still high");
        long pmr = version == 2 ? g.dist.cpuInterface().read(v[0], 0x04, 4) : g.cpus[0].read(GicCpuInterface.Register.PMR);
        assertEquals(0xf0, pmr, "the CPU interface's PMR");
        if (version == 3) assertEquals(g.cpus[0], v[0].cpu.gicCpuInterface(), "the ICC registers stay attached");
        g.reset();
        assertEquals(0x10, dist.read(v[0], 0x204, 4), "a GIC reset keeps the input line's level (level-sensitive: pending)");
        assertEquals(0, dist.read(v[0], 0x104, 4), "GICD_ISENABLER1 after a GIC reset");
        assertFalse(g.cpus[0].irqOut, "nothing enabled: no IRQ");
    }
}
