package org.jvisor.cpu;

import static org.jvisor.cpu.PageTables.AF;
import static org.jvisor.cpu.PageTables.NG;
import static org.jvisor.cpu.PageTables.SH_INNER;
import static org.jvisor.cpu.PageTables.attrIndx;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * The MMU as a guest kernel drives it: MSR to the translation registers, loads and stores through the
 * tables, descriptor edits, TLBI, AT and faults taken through VBAR_EL1, all in guest code.
 */
@NeedsCross
class MmuGuestTest {
    static final long RAM = TestMachine.RAM_BASE;
    static final long NORMAL = AF | SH_INNER | attrIndx(0);

    final TestMachine m = new TestMachine();
    final PageTables pt = new PageTables(m.bus, RAM + 0x40_0000, 12, 39);

    /** Identity-maps the first 8M of RAM (code, vectors, tables) and loads {@code body} after the MMU setup. */
    void load(String body) {
        for (long a = RAM; a < RAM + 0x80_0000; a += 0x20_0000) pt.map(a, a, 2, NORMAL);
        m.load("""
                    ldr x0, =0x44ff
                    msr mair_el1, x0
                    msr tcr_el1, x1
                    msr ttbr0_el1, x2
                    adr x0, vectors
                    msr vbar_el1, x0
                    isb
                    mrs x0, sctlr_el1
                    orr x0, x0, #1
                    msr sctlr_el1, x0
                    isb
                """ + body + """
                    hvc #0
                    .ltorg
                    .balign 2048
                vectors:
                    .skip 0x200
                    mrs x20, esr_el1
                    mrs x21, far_el1
                    hvc #1
                """);
        m.cpu.x[1] = 25 | 25L << 16 | 2L << 30 | 5L << 32;
        m.cpu.x[2] = pt.root;
    }

    @Test
    void staleTranslationUntilTlbiThenAt() {
        pt.map(0x1000L, RAM + 0x10_0000, 3, NORMAL);
        long newDesc = (RAM + 0x20_0000) | NORMAL | 3;
        m.bus.write(RAM + 0x10_0000, 8, 1);
        m.bus.write(RAM + 0x20_0000, 8, 2);
        load("""
                    mov x7, #0x1000
                    ldr x10, [x7]
                    str x5, [x4]
                    dsb ishst
                    ldr x11, [x7]
                    lsr x8, x7, #12
                    tlbi vae1is, x8
                    dsb ish
                    isb
                    ldr x12, [x7]
                    at s1e1r, x7
                    isb
                    mrs x13, par_el1
                    mov x7, #0x3000
                    ldr x14, [x7]
                """);
        m.cpu.x[4] = pt.entry(0x1000L, 3);
        m.cpu.x[5] = newDesc;
        assertEquals(1, m.runToHvc());
        assertEquals(1, m.x(10));
        assertEquals(1, m.x(11)); // the TLB still holds the old translation
        assertEquals(2, m.x(12));
        assertEquals((RAM + 0x20_0000) | 0xffL << 56 | 3 << 7 | 1 << 9 | 1 << 11, m.x(13));
        // The load from the unmapped VA 0x3000: translation fault level 3, taken to EL1
        assertEquals(0x96000007L, m.x(20));
        assertEquals(0x3000L, m.x(21));
    }

    @Test
    void asidSwitchWithoutTlbi() {
        PageTables other = new PageTables(m.bus, RAM + 0x60_0000, 12, 39);
        for (long a = RAM; a < RAM + 0x80_0000; a += 0x20_0000) other.map(a, a, 2, NORMAL);
        pt.map(0x1000L, RAM + 0x10_0000, 3, NORMAL | NG);
        other.map(0x1000L, RAM + 0x20_0000, 3, NORMAL | NG);
        m.bus.write(RAM + 0x10_0000, 8, 1);
        m.bus.write(RAM + 0x20_0000, 8, 2);
        load("""
                    mov x7, #0x1000
                    ldr x10, [x7]
                    msr ttbr0_el1, x3
                    isb
                    ldr x11, [x7]
                    msr ttbr0_el1, x2
                    isb
                    ldr x12, [x7]
                    str xzr, [x4]        // unmap in ASID 1's tables: still cached
                    dsb ish
                    ldr x13, [x7]
                    lsl x8, x6, #48      // TLBI ASIDE1 with ASID 1
                    tlbi aside1, x8
                    dsb ish
                    isb
                    ldr x14, [x7]        // now a translation fault
                """);
        m.cpu.x[2] = pt.root | 1L << 48;
        m.cpu.x[3] = other.root | 2L << 48;
        m.cpu.x[4] = pt.entry(0x1000L, 3);
        m.cpu.x[6] = 1;
        assertEquals(1, m.runToHvc());
        assertEquals(1, m.x(10));
        assertEquals(2, m.x(11));
        assertEquals(1, m.x(12));
        assertEquals(1, m.x(13));
        assertEquals(0x96000007L, m.x(20));
        assertEquals(0x1000L, m.x(21));
    }
}
