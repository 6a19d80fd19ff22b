package org.jvisor.vmm;

import org.jvisor.vmm.virtio.VirtioMmioTransport;
import org.jvisor.vmm.virtio.VirtioRng;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.jvisor.cpu.Asm;
import org.jvisor.cpu.Ram;
import org.jvisor.hyp.Hypervisor;
import org.jvisor.hyp.Vcpu;
import org.jvisor.hyp.VcpuExit;
import org.jvisor.hyp.Vm;

/**
 * The transport reached the way a guest reaches it: A64 loads and stores from a vCPU to the window at
 * 0x0A000000 (the hypervisor's MMIO path), a virtio-rng request set up in guest RAM by guest code, the
 * device's answer read back by guest code.
 */
class VirtioFromGuestCodeTest {
    static final long RAM = 0x4000_0000L, RAM_SIZE = 1 << 20, WINDOW = 0x0A00_0000L;

    static final String DRIVER = """
            movz x0, #0x0A00, lsl #16
            ldr w10, [x0, #0x000]
            ldr w11, [x0, #0x004]
            str wzr, [x0, #0x070]
            mov w1, #1
            str w1, [x0, #0x070]
            mov w1, #3
            str w1, [x0, #0x070]
            mov w1, #1
            str w1, [x0, #0x024]
            str w1, [x0, #0x020]
            str wzr, [x0, #0x024]
            str wzr, [x0, #0x020]
            mov w1, #0xb
            str w1, [x0, #0x070]
            ldr w12, [x0, #0x070]
            str wzr, [x0, #0x030]
            ldr w18, [x0, #0x034]
            mov w1, #8
            str w1, [x0, #0x038]
            movz x2, #0x4001, lsl #16
            add x4, x2, #0x80
            add x5, x2, #0x100
            str w2, [x0, #0x080]
            str wzr, [x0, #0x084]
            str w4, [x0, #0x090]
            str wzr, [x0, #0x094]
            str w5, [x0, #0x0a0]
            str wzr, [x0, #0x0a4]
            mov w1, #1
            str w1, [x0, #0x044]
            mov w1, #0xf
            str w1, [x0, #0x070]
            movz x6, #0x4002, lsl #16
            str x6, [x2]
            mov w1, #32
            str w1, [x2, #8]
            mov w1, #2
            strh w1, [x2, #12]
            strh wzr, [x2, #14]
            strh wzr, [x4, #4]
            mov w1, #1
            dmb ishst
            strh w1, [x4, #2]
            str wzr, [x0, #0x050]
            ldrh w13, [x5, #2]
            ldr w14, [x5, #8]
            ldr w15, [x0, #0x060]
            str w15, [x0, #0x064]
            ldr w16, [x0, #0x060]
            ldr x17, [x6]
            movz x0, #0x0008
            movk x0, #0x8400, lsl #16
            hvc #0
            """;

    @Test
    void guestCodeDrivesTheRngThroughTheWindow() {
        Vm vm = new Hypervisor().createVm();
        try {
            vm.setUserMemoryRegion(0, RAM, RAM_SIZE, Ram.allocate(RAM_SIZE));
            vm.writeGuest(RAM, Asm.assemble(DRIVER, RAM));
            boolean[] line = new boolean[1];
            VirtioMmioTransport t = new VirtioMmioTransport(new VirtioRng(), GuestMemory.of(vm), l -> line[0] = l);
            vm.addDevice(WINDOW, VirtioMmioTransport.WINDOW_SIZE, t);
            Vcpu vcpu = vm.createVcpu(0);
            vcpu.setPc(RAM);
            VcpuExit e = vcpu.run();
            assertTrue(e instanceof VcpuExit.SystemEvent s && s.type() == VcpuExit.SystemEvent.Type.SHUTDOWN, e.toString());
            assertEquals(0x74726976, vcpu.x(10));
            assertEquals(2, vcpu.x(11));
            assertEquals(0xb, vcpu.x(12), "FEATURES_OK read back");
            assertEquals(8, vcpu.x(18), "QueueNumMax");
            assertEquals(1, vcpu.x(13), "used idx");
            assertEquals(32, vcpu.x(14), "used len");
            assertEquals(1, vcpu.x(15), "InterruptStatus");
            assertEquals(0, vcpu.x(16), "after InterruptACK");
            assertFalse(line[0]);
            assertEquals(vm.readGuest64(0x4002_0000L), vcpu.x(17));
            assertNotEquals(0, vcpu.x(17) | vm.readGuest64(0x4002_0008L));
        } finally {
            vm.close();
        }
    }
}
