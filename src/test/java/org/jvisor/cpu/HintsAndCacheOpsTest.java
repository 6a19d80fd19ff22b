package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/** WFI/WFE/SEV, PSTATE.DAIF and interrupts, DC ZVA, cache maintenance by VA, IC and AT. */
@NeedsCross
class HintsAndCacheOpsTest {
    /** ESR ISS of a trapped WFI/WFE from AArch64: CV 1, COND 0b1110, TI (Arm ARM, ISS encoding for EC 0x01). */
    static final int WFI_ISS = (1 << 24) | (0xE << 20), WFE_ISS = WFI_ISS | 1;

    @Test
    void wfiTrapsWithTwi() {
        TestMachine m = new TestMachine().load("""
                wfi
                hvc #0
                """);
        m.cpu.sr.hcrEl2 |= SystemRegisters.HCR_TWI;
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(Esr.EC_WFX, m.cpu.sr.esr[2] >>> 26);
        assertEquals(WFI_ISS, m.cpu.sr.esr[2] & 0x1ffffff);
        assertEquals(TestMachine.RAM_BASE, m.cpu.sr.elr[2]);
    }

    @Test
    void wfeTrapsWithTwe() {
        TestMachine m = new TestMachine().load("""
                wfe
                hvc #0
                """);
        m.cpu.sr.hcrEl2 |= SystemRegisters.HCR_TWE;
        assertEquals(ExitReason.EL2_TRAP, m.run());
        assertEquals(WFE_ISS, m.cpu.sr.esr[2] & 0x1ffffff);
    }

    @Test
    void wfiWaitsForAnInterrupt() {
        TestMachine m = new TestMachine().load("""
                wfi
                hvc #0
                """);
        assertEquals(ExitReason.WAIT_FOR_INTERRUPT, m.run());
        assertEquals(TestMachine.RAM_BASE + 4, m.cpu.pc, "the WFI has completed");
        assertEquals(0, m.runToHvc());
    }

    @Test
    void wfiDoesNotWaitWhenAMaskedInterruptIsPending() {
        TestMachine m = new TestMachine().load("""
                wfi
                hvc #0
                """);
        m.cpu.setIrqLine(true); // PSTATE.I is set at reset: pending but masked
        assertEquals(0, m.runToHvc());
    }

    @Test
    void wfeConsumesTheEventRegister() {
        TestMachine m = new TestMachine().load("""
                sevl
                wfe
                hvc #1
                sev
                wfe
                hvc #2
                wfe
                hvc #3
                """);
        assertEquals(1, m.runToHvc());
        m.cpu.exceptionReturn();
        // ERET sets the event register too: the first WFE after it does not wait either.
        assertEquals(2, m.runToHvc());
        m.cpu.exceptionReturn();
        m.cpu.eventRegister = false;
        assertEquals(ExitReason.WAIT_FOR_INTERRUPT, m.run());
        assertEquals(3, m.runToHvc());
    }

    @Test
    void el0WfiTrapsToEl1WithoutNTwi() {
        TestMachine m = new TestMachine().load(Vectors.install() + Vectors.enterEl0("el0") + """
            el0:
                wfi
                svc #0
                """ + Vectors.table());
        assertEquals(Vectors.LOWER_SYNC, m.runToHvc());
        assertEquals(Esr.EC_WFX, m.cpu.sr.esr[1] >>> 26);
        assertEquals(WFI_ISS, m.cpu.sr.esr[1] & 0x1ffffff);
    }

    @Test
    void daifClrTakesThePendingIrq() {
        TestMachine m = new TestMachine().load(Vectors.install() + Vectors.addr("x3", "after") + """
                movz x0, #1
                msr daifclr, #2
            after:
                hvc #0
                """ + Vectors.table());
        m.cpu.setIrqLine(true);
        assertEquals(Vectors.CUR_SPX_IRQ, m.runToHvc(), "IRQ at VBAR_EL1 + 0x280");
        assertEquals(m.x(3), m.cpu.sr.elr[1], "returns to the instruction after the MSR");
        assertEquals(0x345, m.cpu.sr.spsr[1] & 0x3ff, "EL1h with D, A, F masked and I clear");
        assertEquals(1, m.x(0));
    }

    /**
     * Turns the EL1&0 stage 1 on with RAM (the 1 GiB at 0x40000000) identity-mapped as Normal write-back
     * memory and 0x00000000-0x3fffffff as Device memory, so that data accesses have a memory type.
     */
    static void identityMap(TestMachine m) {
        long table = 0x40f00000L;
        m.bus.write(table, 8, 0x00000000L | (1L << 10) | (1 << 2) | 1); // block, AF, AttrIndx 1 (Device)
        m.bus.write(table + 8, 8, 0x40000000L | (1L << 10) | (3L << 8) | 1); // block, AF, inner shareable, AttrIndx 0
        Cpu c = m.cpu;
        c.sr.mair[1] = 0x00FFL; // Attr0 Normal WB, Attr1 Device-nGnRnE
        c.sr.tcr[1] = 25 | (1L << 8) | (1L << 10) | (3L << 12) | (5L << 32); // 39-bit VA, 4K granule, WB walks
        c.sr.ttbr0[1] = table;
        c.sr.sctlr[1] |= SystemRegisters.SCTLR_M | SystemRegisters.SCTLR_C | SystemRegisters.SCTLR_I;
        c.mmu.contextChanged();
    }

    @Test
    void dcZvaZeroesTheAlignedBlock() {
        TestMachine m = new TestMachine().load("""
                movz x1, #0x4000, lsl #16
                movk x1, #0x8010
                dc zva, x1
                hvc #0
                """);
        identityMap(m);
        byte[] ones = new byte[256];
        Arrays.fill(ones, (byte) 0xff);
        m.bus.writeBytes(0x40007f80L, ones);
        m.runToHvc();
        byte[] after = m.bus.readBytes(0x40007f80L, 256);
        for (int i = 0; i < 256; i++) {
            long pa = 0x40007f80L + i;
            boolean inBlock = pa >= 0x40008000L && pa < 0x40008040L;
            assertEquals(inBlock ? 0 : (byte) 0xff, after[i], "byte at 0x" + Long.toHexString(pa));
        }
    }

    @Test
    void dcZvaOnDeviceMemoryIsAnAlignmentFault() {
        // With stage 1 off every data access is Device-nGnRnE.
        TestMachine m = new TestMachine().load(Vectors.install() + """
                movz x1, #0x4000, lsl #16
                movk x1, #0x8010
                dc zva, x1
                hvc #0
                """ + Vectors.table());
        m.bus.write(0x40008010L, 8, -1L);
        assertEquals(Vectors.CUR_SPX_SYNC, m.runToHvc());
        long esr = m.cpu.sr.esr[1];
        assertEquals(Esr.EC_DABT_CUR, esr >>> 26);
        assertEquals(Esr.FSC_ALIGNMENT, esr & 0x3f);
        assertEquals(1, (esr >>> 6) & 1, "WnR: DC ZVA is a write");
        assertEquals(0, (esr >>> 8) & 1, "not cache maintenance");
        assertEquals(0x40008010L, m.cpu.sr.far[1]);
        assertEquals(-1L, m.bus.read(0x40008010L, 8), "nothing written");
    }

    @Test
    void dcZvaAtEl0NeedsDze() {
        TestMachine m = new TestMachine().load(Vectors.install() + Vectors.enterEl0("el0") + """
            el0:
                movz x1, #0x4000, lsl #16
                movk x1, #0x8000
                dc zva, x1
                svc #0
                """ + Vectors.table());
        assertEquals(Vectors.LOWER_SYNC, m.runToHvc());
        assertEquals(Esr.EC_SYS64, m.cpu.sr.esr[1] >>> 26);
        assertEquals(SysTrapsTest.iss(1, 3, 7, 4, 1, 1, false), m.cpu.sr.esr[1] & 0x1ffffff);
    }

    @Test
    void cacheMaintenanceFaultReportsCm() {
        TestMachine m = new TestMachine().load(Vectors.install() + """
                movz x1, #0x1, lsl #48
                dc civac, x1
                hvc #0
                """ + Vectors.table());
        // MMU off: a VA above the 48-bit PA range is an address size fault (level 0).
        assertEquals(Vectors.CUR_SPX_SYNC, m.runToHvc());
        long esr = m.cpu.sr.esr[1];
        assertEquals(Esr.EC_DABT_CUR, esr >>> 26);
        assertEquals(1, (esr >>> 8) & 1, "CM");
        assertEquals(1, (esr >>> 6) & 1, "WnR is 1 for cache maintenance");
        assertEquals(0, esr & 0x3f, "address size fault, level 0");
        assertEquals(1L << 48, m.cpu.sr.far[1]);
    }

    @Test
    void dcIvacIsUndefinedAtEl0() {
        TestMachine m = new TestMachine().load(Vectors.install() + Vectors.enterEl0("el0") + """
            el0:
                dc ivac, x1
                svc #0
                """ + Vectors.table());
        assertEquals(Vectors.LOWER_SYNC, m.runToHvc());
        assertEquals(Esr.EC_UNKNOWN, m.cpu.sr.esr[1] >>> 26);
    }

    /** Writes one instruction into RAM behind the bus's back, as a device (DMA) would: decoded copies stay stale. */
    private static void patchWithoutSnoop(TestMachine m, long pa, int insn) {
        PhysicalBus.RamRegion r = m.bus.ramAt(pa);
        r.segment.set(PhysicalBus.W, pa - r.base, insn);
    }

    private static final String CALL_TWICE = """
                movz x0, #:abs_g1:f
                movk x0, #:abs_g0_nc:f
                bl f
                hvc #1
                %s
                bl f
                hvc #2
            f:  movz x5, #1
                ret
            """;
    /** movz x5, #2 */
    private static final int MOVZ_X5_2 = 0xd2800045;

    private static long addressOfF(TestMachine m) {
        return m.x(0);
    }

    @Test
    void icIvauMakesModifiedCodeVisible() {
        TestMachine m = new TestMachine().load(CALL_TWICE.formatted("dsb ish\n ic ivau, x0\n dsb ish\n isb"));
        assertEquals(1, m.runToHvc());
        assertEquals(1, m.x(5));
        patchWithoutSnoop(m, addressOfF(m), MOVZ_X5_2);
        m.cpu.exceptionReturn();
        assertEquals(2, m.runToHvc());
        assertEquals(2, m.x(5), "the new instruction runs after IC IVAU");
    }

    @Test
    void icIalluMakesModifiedCodeVisible() {
        TestMachine m = new TestMachine().load(CALL_TWICE.formatted("ic iallu\n isb"));
        assertEquals(1, m.runToHvc());
        patchWithoutSnoop(m, addressOfF(m), MOVZ_X5_2);
        m.cpu.exceptionReturn();
        assertEquals(2, m.runToHvc());
        assertEquals(2, m.x(5));
    }

    @Test
    void staleCodeRunsWithoutInvalidation() {
        // The control experiment: without IC the decoded copy of the old instruction still runs.
        TestMachine m = new TestMachine().load(CALL_TWICE.formatted("nop"));
        assertEquals(1, m.runToHvc());
        patchWithoutSnoop(m, addressOfF(m), MOVZ_X5_2);
        m.cpu.exceptionReturn();
        assertEquals(2, m.runToHvc());
        assertEquals(1, m.x(5));
    }

    @Test
    void atWritesParEl1() {
        TestMachine m = new TestMachine().load("""
                movz x1, #0x4000, lsl #16
                movk x1, #0x1234
                at s1e1r, x1
                mrs x2, par_el1
                hvc #0
                """);
        m.runToHvc();
        assertEquals(0, m.x(2) & 1, "PAR_EL1.F: translation succeeded");
        assertEquals(0x40001000L, m.x(2) & 0x0000FFFFFFFFF000L, "PA of the page (MMU off: flat)");
    }

    @Test
    void barriersAndClrexExecute() {
        TestMachine m = new TestMachine().load("""
                dsb sy
                dmb ish
                isb
                clrex
                yield
                nop
                csdb
                esb
                hint #7
                hint #25
                hint #29
                hint #34
                hint #127
                hvc #0
                """);
        m.cpu.exclusiveValid = true;
        m.runToHvc();
        assertTrue(!m.cpu.exclusiveValid, "CLREX clears the local monitor");
    }

    @Test
    void unallocatedBarrierAndSbAreUndefined() {
        TestMachine m = new TestMachine().load(Vectors.install() + """
                .inst 0xd50330ff
                hvc #0
                """ + Vectors.table());
        // SB (FEAT_SB) is not implemented: its encoding is unallocated.
        assertEquals(Vectors.CUR_SPX_SYNC, m.runToHvc());
        assertEquals(Esr.EC_UNKNOWN, m.cpu.sr.esr[1] >>> 26);
    }

    /** An event registered (SEVL) makes WFE complete at once and consumes it; the host waits for the rest. */
    @Test
    void wfeCompletesAtOnceOnARegisteredEvent() {
        TestMachine m = new TestMachine().load("""
                sevl
                wfe
                hvc #0
                """);
        assertEquals(0, m.runToHvc());
    }

    /** After LDXR the WFE is a spin-wait for a store, whose event jvisor does not signal: it completes at once. */
    @Test
    void wfeWithTheExclusiveMonitorArmedDoesNotWait() {
        TestMachine m = new TestMachine().load("""
                adr x1, word
                ldxr x2, [x1]
                wfe
                hvc #0
                .balign 8
                word: .quad 0
                """);
        assertEquals(0, m.runToHvc());
    }

    /**
     * The event stream's next event (Arm ARM D11.2.3): one each time bit EVNTI of the count goes 0 to 1 (EVNTDIR
     * 0) or 1 to 0 (EVNTDIR 1), so at most 2^(EVNTI+1) ticks away; checked against every count near a change.
     */
    @Test
    void theEventStreamsNextEventIsTheNextChangeOfItsBit() {
        TestMachine m = new TestMachine();
        long[] now = new long[1];
        m.cpu.timer.setCounterSource(new GenericTimer.CounterSource() {
            @Override
            public long count() { return now[0]; }

            @Override
            public long nanosFor(long ticks) { return Long.MAX_VALUE; }
        });
        assertEquals(Long.MAX_VALUE, m.cpu.timer.ticksToNextEvent(), "no stream while CNTKCTL_EL1.EVNTEN is 0");
        for (int evnti = 0; evnti < 16; evnti++) {
            for (int dir = 0; dir <= 1; dir++) {
                m.cpu.sr.cntkctlEl1 = 4 | (dir << 3) | ((long) evnti << 4);
                for (long c = (3L << evnti) - 3; c < (5L << evnti) + 3; c++) {
                    now[0] = Math.max(c, 0);
                    long t = m.cpu.timer.ticksToNextEvent(), at = now[0] + t;
                    assertTrue(t > 0 && t <= 2L << evnti, "EVNTI " + evnti + " count " + now[0] + ": " + t);
                    // at the event the bit has just taken its new value, and no change in that direction came before
                    assertEquals(1 - dir, (at >>> evnti) & 1, "EVNTI " + evnti + " count " + now[0]);
                    assertEquals(dir, ((at - 1) >>> evnti) & 1, "EVNTI " + evnti + " count " + now[0]);
                }
            }
        }
    }

    @Test
    void pointerAuthenticationReturnsAreUndefined() {
        // ERETAA, RETAA, BRAA: FEAT_PAuth is not implemented, so these encodings are unallocated.
        for (String insn : new String[] {".inst 0xd69f0bff", ".inst 0xd65f0bff", ".inst 0xd71f0820"}) {
            TestMachine m = new TestMachine().load(Vectors.install() + insn + "\n hvc #0\n" + Vectors.table());
            assertEquals(Vectors.CUR_SPX_SYNC, m.runToHvc(), insn);
            assertEquals(Esr.EC_UNKNOWN, m.cpu.sr.esr[1] >>> 26, insn);
        }
    }
}
