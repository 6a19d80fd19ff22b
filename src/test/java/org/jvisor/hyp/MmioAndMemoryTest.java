package org.jvisor.hyp;

import static org.jvisor.hyp.Guest.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.jvisor.cpu.BusError;
import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.MmioHandler;
import org.jvisor.cpu.Ram;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * Stage-2 faults: RAM pages mapped on first touch (MEM traps), MMIO decoded from the syndrome or from the
 * instruction (IO traps), loads completed with the Arm ARM's extension rules (LDRB/LDRH zero-extend,
 * LDRSB/LDRSH to W zero the top half, LDRSW/LDPSW sign-extend to 64 bits), external aborts injected.
 */
@NeedsCross
class MmioAndMemoryTest {
    static final long VALUE = 0xF1F2F3F4F5F6F7F8L;

    /** Serves the guest's MMIO from the caller, recording every access. */
    static List<VcpuExit.Mmio> runRecording(Guest g, long readValue) {
        List<VcpuExit.Mmio> seen = new ArrayList<>();
        while (true) {
            VcpuExit e = g.vcpu.run();
            if (e instanceof VcpuExit.Mmio m) {
                seen.add(m.copy()); // the exit is the vCPU's own, filled in again by the next run
                if (!m.write()) g.vcpu.completeMmioRead(m.size() == 8 ? readValue : readValue & ((1L << (8 * m.size())) - 1));
            } else {
                assertTrue(isShutdown(e), e.toString());
                return seen;
            }
        }
    }

    private static final String SET_X9 = """
            movz x9, #0x0900, lsl #16
            ldr x1, =0x8182838485868788
            """;

    @Test
    void writesOfEverySizeExitWithTheirData() {
        Guest g = new Guest(SET_X9 + """
                strb w1, [x9]
                strh w1, [x9, #2]
                str w1, [x9, #4]
                str x1, [x9, #8]
                str xzr, [x9, #16]
                """ + OFF + ".ltorg\n");
        List<VcpuExit.Mmio> m = runRecording(g, 0);
        assertEquals(List.of(
                new VcpuExit.Mmio(MMIO, 1, true, 0x88),
                new VcpuExit.Mmio(MMIO + 2, 2, true, 0x8788),
                new VcpuExit.Mmio(MMIO + 4, 4, true, 0x85868788L),
                new VcpuExit.Mmio(MMIO + 8, 8, true, 0x8182838485868788L),
                new VcpuExit.Mmio(MMIO + 16, 8, true, 0)), m);
        assertEquals(5, g.vcpu.stats().ioTraps());
        assertEquals(5, g.vcpu.stats().exits(Esr.EC_DABT_LOW));
    }

    @Test
    void readsOfEverySizeWithAndWithoutSignExtension() {
        Guest g = new Guest(SET_X9 + """
                ldrb w2, [x9]
                ldrsb x3, [x9]
                ldrsb w4, [x9]
                ldrh w5, [x9]
                ldrsh x6, [x9]
                ldrsh w7, [x9]
                ldr w10, [x9]
                ldrsw x11, [x9]
                ldr x12, [x9]
                ldr xzr, [x9]
                """ + OFF + ".ltorg\n");
        List<VcpuExit.Mmio> m = runRecording(g, VALUE);
        assertEquals(10, m.size());
        assertEquals(10, g.vcpu.stats().ioTraps());
        Vcpu v = g.vcpu;
        assertEquals(0xF8L, v.x(2));
        assertEquals(0xFFFFFFFFFFFFFFF8L, v.x(3));
        assertEquals(0xFFFFFFF8L, v.x(4));
        assertEquals(0xF7F8L, v.x(5));
        assertEquals(0xFFFFFFFFFFFFF7F8L, v.x(6));
        assertEquals(0xFFFFF7F8L, v.x(7));
        assertEquals(0xF5F6F7F8L, v.x(10));
        assertEquals(0xFFFFFFFFF5F6F7F8L, v.x(11));
        assertEquals(VALUE, v.x(12));
        assertEquals(List.of(1, 1, 1, 2, 2, 2, 4, 4, 8, 8), m.stream().map(VcpuExit.Mmio::size).toList());
    }

    @Test
    void pairsAndWritebackFormsAreDecodedFromTheInstruction() {
        Guest g = new Guest(SET_X9 + """
                movz x2, #0x2222
                stp x1, x2, [x9, #16]!
                mov x13, x9
                stp w1, w2, [x9], #8
                mov x14, x9
                ldp x3, x4, [x9, #-24]
                ldp w5, w6, [x9]
                ldpsw x7, x8, [x9]
                str w2, [x9, #4]!
                ldrsh x10, [x9], #2
                ldr x11, [x9, #-8]!
                """ + OFF + ".ltorg\n");
        List<VcpuExit.Mmio> m = runRecording(g, VALUE);
        Vcpu v = g.vcpu;
        assertEquals(List.of(
                new VcpuExit.Mmio(MMIO + 16, 8, true, 0x8182838485868788L),
                new VcpuExit.Mmio(MMIO + 24, 8, true, 0x2222),
                new VcpuExit.Mmio(MMIO + 16, 4, true, 0x85868788L),
                new VcpuExit.Mmio(MMIO + 20, 4, true, 0x2222)), m.subList(0, 4));
        assertEquals(MMIO + 16, v.x(13), "pre-index writeback");
        assertEquals(MMIO + 24, v.x(14), "post-index writeback");
        assertEquals(new VcpuExit.Mmio(MMIO, 8, false, 0), m.get(4));
        assertEquals(new VcpuExit.Mmio(MMIO + 8, 8, false, 0), m.get(5));
        assertEquals(VALUE, v.x(3));
        assertEquals(VALUE, v.x(4));
        assertEquals(0xF5F6F7F8L, v.x(5));
        assertEquals(0xF5F6F7F8L, v.x(6));
        assertEquals(0xFFFFFFFFF5F6F7F8L, v.x(7));
        assertEquals(0xFFFFFFFFF5F6F7F8L, v.x(8));
        assertEquals(new VcpuExit.Mmio(MMIO + 28, 4, true, 0x2222), m.get(10));
        assertEquals(0xFFFFFFFFFFFFF7F8L, v.x(10));
        assertEquals(new VcpuExit.Mmio(MMIO + 28, 2, false, 0), m.get(11));
        assertEquals(new VcpuExit.Mmio(MMIO + 22, 8, false, 0), m.get(12));
        assertEquals(MMIO + 22, v.x(9));
        assertEquals(VALUE, v.x(11));
        assertEquals(8, v.stats().ioTraps(), "one trap per instruction, two accesses for a pair");
    }

    @Test
    void devicesInsideTheHypervisorAreServedWithoutExits() {
        long[] reg = new long[1];
        Vm vm = new Hypervisor().createVm();
        vm.addDevice(MMIO, 0x1000, new MmioHandler() {
            @Override
            public long read(long offset, int size) { return reg[0] + offset; }

            @Override
            public void write(long offset, int size, long value) { reg[0] = value; }
        });
        Guest g = new Guest(vm, SET_X9 + """
                movz x1, #0x8000
                str x1, [x9]
                ldrsh x2, [x9, #1]
                stp x1, x1, [x9, #16]!
                """ + OFF + ".ltorg\n");
        VcpuExit e = g.vcpu.run();
        assertTrue(isShutdown(e), e.toString());
        assertEquals(0xFFFFFFFFFFFF8001L, g.vcpu.x(2));
        assertEquals(3, g.vcpu.stats().ioTraps());
    }

    @Test
    void unclaimedAccessBecomesAnExternalAbortTheGuestHandles() {
        Guest g = new Guest(HypervisorExitsTest.withVectors(SET_X9 + "ldr x1, [x9, #8]\n") + ".ltorg\n");
        VcpuExit e = g.vcpu.run();
        VcpuExit.Mmio m = assertInstanceOf(VcpuExit.Mmio.class, e);
        assertEquals(MMIO + 8, m.address());
        long pcOfLoad = g.vcpu.pc();
        g.vcpu.completeMmioUnclaimed();
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(0x96000010L, g.vcpu.x(20), "ESR_EL1: data abort, same EL, IL, synchronous external abort");
        assertEquals(MMIO + 8, g.vcpu.x(21), "FAR_EL1");
        assertEquals(pcOfLoad, g.vcpu.x(22), "ELR_EL1: the load");
    }

    @Test
    void deviceBusErrorIsAnExternalAbortWithWnR() {
        Vm vm = new Hypervisor().createVm();
        vm.addDevice(MMIO, 0x1000, new MmioHandler() {
            @Override
            public long read(long offset, int size) { throw BusError.INSTANCE; }

            @Override
            public void write(long offset, int size, long value) { throw BusError.INSTANCE; }
        });
        Guest g = new Guest(vm, HypervisorExitsTest.withVectors(SET_X9 + "str w1, [x9]\n") + ".ltorg\n");
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(0x96000050L, g.vcpu.x(20), "WnR set");
        assertEquals(MMIO, g.vcpu.x(21));
    }

    @Test
    void runningWithAReadInFlightIsRefused() {
        Guest g = new Guest(SET_X9 + "ldr x1, [x9]\n" + OFF + ".ltorg\n");
        assertInstanceOf(VcpuExit.Mmio.class, g.vcpu.run());
        assertThrows(IllegalStateException.class, g.vcpu::run);
        g.vcpu.completeMmioRead(5);
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(5, g.vcpu.x(1));
    }

    @Test
    void memTrapsCountTheDistinctPagesFirstTouched() {
        // code: one page; data: 5 distinct pages, each touched several times (stores and loads).
        Guest g = new Guest("""
                movz x9, #0x4001, lsl #16
                mov x2, #0
                1: str x2, [x9]
                ldr x3, [x9, #8]
                str x2, [x9, #0xff8]
                add x9, x9, #0x1000
                add x2, x2, #1
                cmp x2, #5
                b.ne 1b
                movz x9, #0x4001, lsl #16
                ldr x4, [x9, #0x10]
                """ + OFF);
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(6, g.vcpu.stats().memTraps());
        assertEquals(0, g.vcpu.stats().ioTraps());
        assertEquals(4, g.vm.readGuest64(0x4001_4000L), "the guest's stores reached the slot's memory");
    }

    @Test
    void twoVmsInOneJvmAreIndependent() throws Exception {
        String src = """
                movz x9, #0x4008, lsl #16
                ldr x1, [x9]
                add x1, x1, #1
                str x1, [x9]
                str x1, [x9, #0x1000]
                """ + OFF;
        Guest a = new Guest(src), b = new Guest(src);
        a.vm.writeGuest(0x4008_0000L, new byte[] {10});
        b.vm.writeGuest(0x4008_0000L, new byte[] {20});
        VcpuExit[] eb = new VcpuExit[1];
        Thread t = new Thread(() -> eb[0] = b.vcpu.run());
        t.start();
        VcpuExit ea = a.vcpu.run();
        t.join();
        assertTrue(isShutdown(ea));
        assertTrue(isShutdown(eb[0]));
        assertEquals(11, a.vm.readGuest64(0x4008_0000L));
        assertEquals(21, b.vm.readGuest64(0x4008_0000L));
        assertEquals(3, a.vcpu.stats().memTraps());
        assertEquals(3, b.vcpu.stats().memTraps());
        assertNotSame(a.vm.hostBus(), b.vm.hostBus());
    }

    @Test
    void slotsMayNotOverlap() {
        Vm vm = new Hypervisor().createVm();
        vm.setUserMemoryRegion(0, RAM, 0x10000, Ram.allocate(0x10000));
        assertThrows(IllegalArgumentException.class, () -> vm.setUserMemoryRegion(1, RAM + 0x8000, 0x10000, Ram.allocate(0x10000)));
        assertThrows(IllegalArgumentException.class, () -> vm.addDevice(RAM, 0x1000, null));
    }

    @Test
    void blockMappingTakesOneMemTrapPer2MiB() {
        Vm vm = new Hypervisor().createVm();
        vm.setStage2Blocks(true);
        Guest g = new Guest(vm, """
                movz x9, #0x4001, lsl #16
                str x9, [x9]
                str x9, [x9, #0x1000]
                movz x9, #0x4008, lsl #16
                str x9, [x9]
                """ + OFF);
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(1, g.vcpu.stats().memTraps(), "code and data all lie in the first 2 MiB block");
        assertEquals(0x4008_0000L, g.vm.readGuest64(0x4008_0000L));
    }

    /**
     * Accesses with no valid syndrome that are not decoded (exclusives, FP/SIMD registers) get what QEMU
     * asks KVM to inject for them (NISV): a synchronous external abort, with WnR as the access, and no exit,
     * whether a device claims the address (here, one that would answer) or nobody does (the caller's MMIO).
     */
    @Test
    void anMmioAccessTheHypervisorCannotEmulateIsAnExternalAbortInTheGuest() {
        for (boolean claimed : new boolean[] {false, true}) {
            for (String[] c : new String[][] {{"str q0, [x9]", "96000050"}, {"ldaxr x1, [x9]", "96000010"},
                    {"ldxp x1, x2, [x9]", "96000010"}, {"ldr q0, [x9]", "96000010"}}) {
                Vm vm = new Hypervisor().createVm();
                List<String> served = new ArrayList<>();
                if (claimed) vm.addDevice(MMIO, 0x1000, new MmioHandler() {
                    @Override
                    public long read(long offset, int size) { served.add("read"); return 0; }

                    @Override
                    public void write(long offset, int size, long value) { served.add("write"); }
                });
                Guest g = new Guest(vm, HypervisorExitsTest.withVectors(SET_X9 + "add x9, x9, #16\n" + c[0] + "\n") + ".ltorg\n");
                g.vcpu.setRegister("CPACR_EL1", 3L << 20);
                VcpuExit e = g.vcpu.run();
                assertTrue(isShutdown(e), c[0] + ": " + e);
                assertEquals(Long.parseLong(c[1], 16), g.vcpu.x(20), c[0] + ": ESR_EL1 (EC 0x25, IL, DFSC 0x10, WnR as the access)");
                assertEquals(MMIO + 16, g.vcpu.x(21), c[0] + ": FAR_EL1");
                assertEquals(List.of(), served, c[0] + ": the device was never accessed");
                assertEquals(1, g.vcpu.stats().ioTraps(), c[0]);
            }
        }
    }

    @Test
    void resetAfterSystemResetRunsTheGuestAgain() {
        Guest g = new Guest("""
                ldr x1, [x9]
                add x1, x1, #1
                str x1, [x9]
                movz x0, #0x0009
                movk x0, #0x8400, lsl #16
                hvc #0
                """);
        g.vcpu.setX(9, RAM + 0x8000);
        VcpuExit e = g.vcpu.run();
        assertEquals(VcpuExit.SystemEvent.Type.RESET, assertInstanceOf(VcpuExit.SystemEvent.class, e).type());
        g.vcpu.reset();
        assertEquals(0, g.vcpu.x(9));
        g.vcpu.setX(9, RAM + 0x8000);
        g.vcpu.setPc(RAM);
        assertInstanceOf(VcpuExit.SystemEvent.class, g.vcpu.run());
        assertEquals(2, g.vm.readGuest64(RAM + 0x8000), "memory survives the reset");
    }
}
