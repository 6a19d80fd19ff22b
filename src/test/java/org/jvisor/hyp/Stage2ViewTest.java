package org.jvisor.hyp;

import static org.jvisor.hyp.Guest.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/** Stage-2 views: several tables per VM, a vCPU switched between them by a hypercall or from Java. */
@NeedsCross
class Stage2ViewTest {
    static final long SEEK = RAM + 0x10_0000, HIDDEN = RAM + 0x20_0000;

    private static Guest guest() {
        Guest g = new Guest("""
                movz x9, #0x4010, lsl #16
                ldr x19, [x9]
                movz x0, #0xFF00
                movk x0, #0xC600, lsl #16
                mov x1, #1
                hvc #0
                mov x22, x0
                ldr x20, [x9]
                movz x0, #0xFF00
                movk x0, #0xC600, lsl #16
                mov x1, #0
                hvc #0
                ldr x21, [x9]
                movz x0, #0xFF00
                movk x0, #0xC600, lsl #16
                mov x1, #7
                hvc #0
                mov x23, x0
                """ + OFF);
        g.vm.writeGuest(SEEK, new byte[] {111});
        g.vm.writeGuest(HIDDEN, new byte[] {(byte) 222});
        return g;
    }

    @Test
    void aViewMapsAGuestPageElsewhereAndTheHypercallSwitches() {
        Guest g = guest();
        int view = g.vm.createStage2View();
        assertEquals(1, view);
        MemorySlot slot = g.vm.slots().get(0);
        g.vm.stage2View(view).mapPage(SEEK, slot.hostAddress(HIDDEN));
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(111, g.vcpu.x(19), "view 0: the page itself");
        assertEquals(0, g.vcpu.x(22), "VIEW_SWITCH: success");
        assertEquals(222, g.vcpu.x(20), "view 1: the other page");
        assertEquals(111, g.vcpu.x(21), "back in view 0");
        assertEquals(-2, g.vcpu.x(23), "no view 7: INVALID_PARAMETERS");
        assertEquals(3, g.vcpu.stats().memTraps(), "code and data in view 0, code again in view 1");
        assertSame(g.vm.stage2(), g.vcpu.stage2View());
    }

    @Test
    void javaSwitchesTheViewAndUnmappingFaultsAgain() {
        Guest g = new Guest("""
                movz x9, #0x4010, lsl #16
                ldr x19, [x9]
                hvc #1
                ldr x20, [x9]
                """ + OFF);
        g.vm.writeGuest(SEEK, new byte[] {111});
        g.vm.writeGuest(HIDDEN, new byte[] {(byte) 222});
        int view = g.vm.createStage2View();
        MemorySlot slot = g.vm.slots().get(0);
        assertInstanceOf(VcpuExit.Hypercall.class, g.vcpu.run());
        assertEquals(111, g.vcpu.x(19));
        // Switch from Java and remap in the new view: the guest sees the other page.
        g.vm.stage2View(view).mapPage(SEEK, slot.hostAddress(HIDDEN));
        g.vcpu.setStage2View(view);
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(222, g.vcpu.x(20));
        assertEquals(view, g.vm.stage2ViewCount() - 1);
    }

    @Test
    void unmappingAPageTheGuestUsedMakesItFaultAgain() {
        Guest g = new Guest("""
                movz x9, #0x4010, lsl #16
                ldr x19, [x9]
                hvc #1
                ldr x20, [x9]
                """ + OFF);
        assertInstanceOf(VcpuExit.Hypercall.class, g.vcpu.run());
        long before = g.vcpu.stats().memTraps();
        g.vm.stage2().table().unmap(SEEK, 4096);
        assertTrue(isShutdown(g.vcpu.run()));
        assertEquals(before + 1, g.vcpu.stats().memTraps(), "the unmapped page is mapped again on the next touch");
    }
}
