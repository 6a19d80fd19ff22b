package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

@NeedsCross
class BranchesTest {
    @Test
    void conditionalAndTestBranchesFollowTheFlags() {
        TestMachine m = new TestMachine().load("""
                movz x0, #0
                cbz x0, 1f
                movz x0, #99
            1:  movz x1, #5
                tbnz x1, #2, 2f
                movz x1, #99
            2:  bl 3f
                movz x3, #7
                hvc #0x42
            3:  movz x2, #1
                ret
            """);
        // movz is not implemented yet in this skeleton test? It is part of the data-processing group.
        assertEquals(0x42, m.runToHvc());
        assertEquals(0, m.x(0));
        assertEquals(5, m.x(1));
        assertEquals(1, m.x(2));
        assertEquals(7, m.x(3));
    }
}
