package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * The processor switches of classic trap-and-emulate: {@link Cpu#hostOwnsEl1} ends the run where an exception
 * enters EL1 (the syndrome registers written as AArch64.TakeException writes them, no EL1 instruction run),
 * and {@link Cpu#trapUnprivilegedAccess} makes LDTR/STTR UNDEFINED (critical instructions that a kernel run
 * at EL0 would otherwise execute as plain EL0 accesses).
 */
@NeedsCross
class HostOwnsEl1Test {
    private static final long RAM = TestMachine.RAM_BASE;

    @Test
    void svcFromEl0EndsTheRunWithEl1Syndrome() {
        TestMachine m = new TestMachine().load("""
                movz x1, #2
                svc #7
                movz x1, #3
                """);
        m.cpu.hostOwnsEl1 = true;
        m.cpu.sr.vbar[1] = RAM + 0x1000;
        m.cpu.setElAndSpSel(0, 0);
        m.cpu.setNzcv(0b0110);
        m.cpu.daif = 0;
        assertEquals(ExitReason.EL1_TRAP, m.run());
        assertEquals(Esr.encode(Esr.EC_SVC64, 7), m.cpu.sr.esr[1]);
        assertEquals(RAM + 8, m.cpu.sr.elr[1]);
        assertEquals(0x6000_0000L, m.cpu.sr.spsr[1]); // EL0t, NZCV kept, nothing masked
        assertEquals(0x400, m.cpu.lastVectorOffset);
        assertEquals(1, m.cpu.currentEl());
        assertEquals(RAM + 0x1400, m.cpu.pc); // at the vector, not run
        assertEquals(2, m.x(1));
        m.cpu.exceptionReturn(); // the host resumes the guest
        assertEquals(ExitReason.BUDGET, m.cpu.run(1));
        assertEquals(3, m.x(1));
    }

    @Test
    void interruptToEl1EndsTheRunWithoutSyndrome() {
        TestMachine m = new TestMachine().load("nop\nnop\n");
        m.cpu.hostOwnsEl1 = true;
        m.cpu.setElAndSpSel(0, 0);
        m.cpu.daif = 0;
        m.cpu.sr.esr[1] = 0x1234;
        m.cpu.setIrqLine(true);
        assertEquals(ExitReason.EL1_TRAP, m.run());
        assertEquals(0x480, m.cpu.lastVectorOffset);
        assertEquals(0x1234, m.cpu.sr.esr[1]);
        assertEquals(RAM, m.cpu.sr.elr[1]);
    }

    @Test
    void unprivilegedAccessesAreUndefinedWhileTrapped() {
        // LDTR, LDTRB, LDTRSW, STTR, STTRH: every size and sign form (there are no pair or exclusive forms in A64).
        String[] forms = {"ldtr x2, [x0]", "ldtrb w2, [x0]", "ldtrsw x2, [x0]", "ldtrsh x2, [x0]", "sttr x2, [x0]", "sttrh w2, [x0]"};
        for (String form : forms) {
            TestMachine m = new TestMachine().load("mov x0, sp\nsub x0, x0, #64\n" + form + "\nmovz x5, #1\n");
            m.cpu.hostOwnsEl1 = true;
            m.cpu.trapUnprivilegedAccess = true;
            assertEquals(ExitReason.EL1_TRAP, m.run(), form);
            assertEquals(Esr.encode(Esr.EC_UNKNOWN, 0), m.cpu.sr.esr[1], form);
            assertEquals(RAM + 8, m.cpu.sr.elr[1], form); // the access itself, not executed
            assertEquals(0, m.x(5), form);

            TestMachine free = new TestMachine().load("mov x0, sp\nsub x0, x0, #64\n" + form + "\nmovz x5, #1\nhvc #0\n");
            assertEquals(0, free.runToHvc(), form); // without the switch the EL1 access completes
            assertEquals(1, free.x(5), form);
        }
    }
}
