package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Whatever a guest executes, the decoded-instruction cache keeps at most a fixed number of pages. */
class DecodedCacheBoundTest {
    @Test
    void codeSpreadOverMorePagesThanTheBoundStaysBounded() {
        int pages = PhysicalBus.MAX_DECODED_PAGES + 3000;
        TestMachine m = new TestMachine((long) (pages + 16) << 12);
        // page i: add x0, x0, #1; b (next page)  ...  the last page: hvc #0
        for (int i = 0; i < pages; i++) {
            long at = TestMachine.RAM_BASE + ((long) i << 12);
            m.bus.write(at, 4, 0x91000400L);
            m.bus.write(at + 4, 4, i == pages - 1 ? 0xd4000002L : 0x14000000L | ((0x1000 - 4) >>> 2));
        }
        m.cpu.pc = TestMachine.RAM_BASE;
        assertEquals(0, m.runToHvc());
        assertEquals(pages, m.x(0), "every page ran");
        assertTrue(m.bus.decodedPageCount() <= PhysicalBus.MAX_DECODED_PAGES, "decoded pages kept: " + m.bus.decodedPageCount());
        // and the cache still works: run it all again
        m.cpu.x[0] = 0;
        m.cpu.setElAndSpSel(1, 1);
        m.cpu.pc = TestMachine.RAM_BASE;
        assertEquals(0, m.runToHvc());
        assertEquals(pages, m.x(0));
        assertTrue(m.bus.decodedPageCount() <= PhysicalBus.MAX_DECODED_PAGES);
    }
}
