package org.jvisor.cpu;

import static org.jvisor.cpu.LoadStoreTest.BODY;
import static org.jvisor.cpu.LoadStoreTest.expectException;
import static org.jvisor.cpu.LoadStoreTest.machine;
import static org.jvisor.cpu.PageTables.AF;
import static org.jvisor.cpu.PageTables.AP_RO_ALL;
import static org.jvisor.cpu.PageTables.AP_RW_ALL;
import static org.jvisor.cpu.PageTables.AP_RW_EL1;
import static org.jvisor.cpu.PageTables.S2AP_R;
import static org.jvisor.cpu.PageTables.S2AP_W;
import static org.jvisor.cpu.PageTables.S2_NORMAL_WB;
import static org.jvisor.cpu.PageTables.SH_INNER;
import static org.jvisor.cpu.PageTables.attrIndx;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * Loads and stores through the MMU: unprivileged accesses checked with EL0 permissions, and the
 * instruction syndrome (ISV, SAS, SSE, SRT, SF, AR) that a stage 2 data abort reports to EL2 so that a
 * hypervisor can emulate an MMIO access (Arm ARM D13.2.37, ISS encoding for a Data Abort).
 */
@NeedsCross
class LoadStoreMmuTest {
    static final long RAM = TestMachine.RAM_BASE;
    static final long NORMAL = AF | SH_INNER | attrIndx(0);

    @Test
    void unprivilegedAccessesAtEl1UseEl0Permissions() {
        String[][] cases = {
                // instruction, expected ISS of the fault ("" = no fault)
                {"ldr x2, [x10]", ""},
                {"ldtr x2, [x11]", ""},
                {"sttr x2, [x11, #8]", ""},
                {"ldtr x2, [x12]", ""},
                {"ldtr x2, [x10]", "f"}, // EL1-only page: permission fault, level 3
                {"sttrb w2, [x10]", "4f"},
                {"sttrh w2, [x12, #2]", "4f"}, // read-only page
                {"str x2, [x12]", "4f"},
        };
        for (String[] c : cases) {
            TestMachine m = machine(new TestMachine(64 << 20), c[0]);
            PageTables pt = new PageTables(m.bus, RAM + 0x40_0000, 12, 39);
            pt.map(RAM, RAM, 2, NORMAL | AP_RW_EL1);
            pt.map(0x1000_0000L, RAM + 0x20_0000, 3, NORMAL | AP_RW_EL1);
            pt.map(0x1000_1000L, RAM + 0x20_1000, 3, NORMAL | AP_RW_ALL);
            pt.map(0x1000_2000L, RAM + 0x20_2000, 3, NORMAL | AP_RO_ALL);
            m.cpu.sr.tcr[1] = 25 | 25L << 16 | 2L << 30 | 5L << 32;
            m.cpu.sr.ttbr0[1] = pt.root;
            m.cpu.sr.mair[1] = 0xff;
            m.cpu.sr.sctlr[1] |= SystemRegisters.SCTLR_M;
            m.cpu.mmu.contextChanged();
            m.bus.write(RAM + 0x20_0000, 8, 0x1111);
            m.bus.write(RAM + 0x20_1000, 8, 0x2222);
            m.bus.write(RAM + 0x20_2000, 8, 0x3333);
            m.cpu.x[10] = 0x1000_0000L;
            m.cpu.x[11] = 0x1000_1000L;
            m.cpu.x[12] = 0x1000_2000L;
            m.cpu.x[2] = 0x77;
            if (c[1].isEmpty()) {
                assertEquals(0, m.runToHvc(), c[0]);
                if (c[0].startsWith("ld")) assertEquals(c[0].contains("x10") ? 0x1111 : c[0].contains("x11") ? 0x2222 : 0x3333, m.x(2), c[0]);
                else assertEquals(0x77, m.bus.read(RAM + 0x20_1008, 8), c[0]);
            } else {
                expectException(m, Esr.EC_DABT_CUR, Integer.parseInt(c[1], 16));
                assertEquals(BODY, m.cpu.sr.elr[1], c[0]);
                assertEquals(0x77, m.x(2), c[0]);
            }
        }
    }

    @Test
    void stage2AbortsReportTheInstructionSyndrome() {
        int isv = 1 << 24, sse = 1 << 21, sf = 1 << 15, ar = 1 << 14, wnr = 1 << 6, l1 = 0x05;
        Object[][] cases = {
                {"ldrsh w3, [x0]", isv | 1 << 22 | sse | 3 << 16 | l1},
                {"ldrsb x4, [x0, #1]", isv | sse | 4 << 16 | sf | l1},
                {"ldrsw x5, [x0, x1]", isv | 2 << 22 | sse | 5 << 16 | sf | l1},
                {"ldrb w6, [x0]", isv | 6 << 16 | l1},
                {"ldr x7, [x0, #8]", isv | 3 << 22 | 7 << 16 | sf | l1},
                {"str x8, [x0, #8]", isv | 3 << 22 | 8 << 16 | sf | wnr | l1},
                {"strh wzr, [x0]", isv | 1 << 22 | 31 << 16 | wnr | l1},
                {"stur w9, [x0, #-4]", isv | 2 << 22 | 9 << 16 | wnr | l1},
                {"ldtrh w10, [x0]", isv | 1 << 22 | 10 << 16 | l1},
                {"ldar w11, [x0]", isv | 2 << 22 | 11 << 16 | ar | l1},
                {"stlrb w12, [x0]", isv | 12 << 16 | ar | wnr | l1},
                {"ldr x13, [x0], #8", l1},
                {"str x14, [x0, #8]!", wnr | l1},
                {"ldp x15, x16, [x0]", l1},
                {"stp w15, w16, [x0]", wnr | l1},
                {"ldxr x17, [x0]", l1},
                {"stxr w18, x17, [x0]", null}, // no monitor: fails without an access
        };
        for (Object[] c : cases) {
            String insn = (String) c[0];
            TestMachine m = new TestMachine(64 << 20);
            PageTables s2 = new PageTables(m.bus, RAM + 0x80_0000, 12, 39, 1);
            s2.map(RAM, RAM, 1, AF | SH_INNER | S2_NORMAL_WB | S2AP_R | S2AP_W);
            m.cpu.sr.vtcrEl2 = 25 | 1L << 6 | 3L << 8 | 3L << 10 | 3L << 12 | 5L << 16;
            m.cpu.sr.vttbrEl2 = s2.root | 5L << 48;
            m.cpu.sr.hcrEl2 = SystemRegisters.HCR_VM | SystemRegisters.HCR_RW;
            m.cpu.mmu.contextChanged();
            m.load(insn + "\nhvc #0\n");
            m.cpu.x[0] = 0x9000_0000L; // nothing mapped at this IPA
            m.cpu.x[1] = 4;
            if (c[1] == null) {
                assertEquals(0, m.runToHvc(), insn);
                assertEquals(1, m.x(18));
                continue;
            }
            assertEquals(ExitReason.EL2_TRAP, m.run(), insn);
            long esr = m.cpu.sr.esr[2];
            assertEquals(Esr.EC_DABT_LOW, esr >>> 26, insn);
            assertEquals(Integer.toHexString((Integer) c[1]), Long.toHexString(esr & 0x1ffffff), insn);
        }
    }
}
