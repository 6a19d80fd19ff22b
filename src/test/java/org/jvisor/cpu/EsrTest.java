package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link Esr} against its references: the exception classes and their names as Linux 6.1's
 * arch/arm64/include/asm/esr.h defines them (ESR_ELx_EC_*), and syndromes worked out by hand from the
 * field layouts of the Arm ARM's ESR_EL2 (the ISS encodings for EC 0b000001, 0b010110/0b010111,
 * 0b011000 and 0b100100).
 */
class EsrTest {
    /** ESR_ELx_EC_* of Linux 6.1's esr.h, value and name (the name with ESR_ELx_EC_ stripped). */
    private static final Map<Integer, String> LINUX_EC = new TreeMap<>(Map.ofEntries(
            Map.entry(0x00, "UNKNOWN"), Map.entry(0x01, "WFx"), Map.entry(0x03, "CP15_32"), Map.entry(0x04, "CP15_64"),
            Map.entry(0x05, "CP14_MR"), Map.entry(0x06, "CP14_LS"), Map.entry(0x07, "FP_ASIMD"), Map.entry(0x08, "CP10_ID"),
            Map.entry(0x09, "PAC"), Map.entry(0x0C, "CP14_64"), Map.entry(0x0D, "BTI"), Map.entry(0x0E, "ILL"),
            Map.entry(0x11, "SVC32"), Map.entry(0x12, "HVC32"), Map.entry(0x13, "SMC32"), Map.entry(0x15, "SVC64"),
            Map.entry(0x16, "HVC64"), Map.entry(0x17, "SMC64"), Map.entry(0x18, "SYS64"), Map.entry(0x19, "SVE"),
            Map.entry(0x1a, "ERET"), Map.entry(0x1C, "FPAC"), Map.entry(0x1D, "SME"), Map.entry(0x1f, "IMP_DEF"), Map.entry(0x20, "IABT_LOW"),
            Map.entry(0x21, "IABT_CUR"), Map.entry(0x22, "PC_ALIGN"), Map.entry(0x24, "DABT_LOW"), Map.entry(0x25, "DABT_CUR"),
            Map.entry(0x26, "SP_ALIGN"), Map.entry(0x28, "FP_EXC32"), Map.entry(0x2C, "FP_EXC64"), Map.entry(0x2F, "SERROR"),
            Map.entry(0x30, "BREAKPT_LOW"), Map.entry(0x31, "BREAKPT_CUR"), Map.entry(0x32, "SOFTSTP_LOW"),
            Map.entry(0x33, "SOFTSTP_CUR"), Map.entry(0x34, "WATCHPT_LOW"), Map.entry(0x35, "WATCHPT_CUR"),
            Map.entry(0x38, "BKPT32"), Map.entry(0x3A, "VECTOR32"), Map.entry(0x3C, "BRK64")));

    @Test
    void exceptionClassNamesAreLinuxs() {
        for (int ec = 0; ec < 64; ec++) {
            String linux = LINUX_EC.get(ec);
            assertEquals(linux != null ? linux : "EC_0x" + Integer.toHexString(ec), Esr.ecName(ec), "EC 0x" + Integer.toHexString(ec));
        }
    }

    @Test
    void exceptionClassConstantsAreNamedAsLinuxNamesThem() throws IllegalAccessException {
        int seen = 0;
        for (var f : Esr.class.getFields()) {
            if (!f.getName().startsWith("EC_")) continue;
            int ec = f.getInt(null);
            assertEquals(LINUX_EC.get(ec).toUpperCase(), f.getName().substring(3), "Esr." + f.getName());
            seen++;
        }
        assertEquals(LINUX_EC.size(), seen, "every class of esr.h has its constant");
    }

    @Test
    void dataAbortWithValidSyndrome() {
        // LDR X1, [X0] from EL1 faulting at stage 2 (translation, level 2): EC 0x24, IL, ISV, SAS 0b11,
        // SRT 1, SF, DFSC 0b000110.
        long esr = 0x93C18006L;
        assertEquals(esr, Esr.encode(Esr.EC_DABT_LOW, Esr.accessSyndrome(3, false, 1, true, false) | 0x06));
        assertEquals(Esr.EC_DABT_LOW, Esr.ec(esr));
        assertTrue(Esr.il(esr));
        assertTrue(Esr.isv(esr));
        assertEquals(3, Esr.sas(esr));
        assertFalse(Esr.sse(esr));
        assertEquals(1, Esr.srt(esr));
        assertTrue(Esr.sf(esr));
        assertFalse(Esr.ar(esr));
        assertFalse(Esr.wnr(esr));
        assertFalse(Esr.s1ptw(esr));
        assertEquals(0x06, Esr.fsc(esr));
        assertEquals(Esr.FSC_TRANSLATION, Esr.fscType(esr));
        // LDARSH W30, [X2] (acquire, sign-extending halfword into a W register) written to a device:
        // ISV, SAS 0b01, SSE, SRT 30, AR; and a store (WnR) to the same place.
        assertEquals(0x017E4000, Esr.accessSyndrome(1, true, 30, false, true));
        int store = Esr.accessSyndrome(2, false, 5, false, false) | Esr.ISS_WNR | Esr.FSC_ACCESS_FLAG | 3;
        assertEquals(0x01850000 | 0x40 | 0x0b, store);
        assertTrue(Esr.wnr(store));
        assertEquals(Esr.FSC_ACCESS_FLAG, Esr.fscType(store));
    }

    @Test
    void abortStatusBits() {
        // Bits of ISS of EC 0b100100: EA [9], CM [8], S1PTW [7], WnR [6], FnV [10]; FSC values of the Arm ARM.
        assertEquals(1 << 9, Esr.ISS_EA);
        assertEquals(1 << 8, Esr.ISS_CM);
        assertEquals(1 << 7, Esr.ISS_S1PTW);
        assertEquals(1 << 10, Esr.ISS_FNV);
        int[] fsc = {Esr.FSC_ADDRESS_SIZE, Esr.FSC_TRANSLATION, Esr.FSC_ACCESS_FLAG, Esr.FSC_PERMISSION,
                Esr.FSC_SYNC_EXTERNAL, Esr.FSC_SYNC_EXTERNAL_WALK, Esr.FSC_ALIGNMENT, Esr.FSC_DEBUG, Esr.FSC_TLB_CONFLICT};
        assertEquals("[0, 4, 8, 12, 16, 20, 33, 34, 48]", java.util.Arrays.toString(fsc));
        long s1ptw = Esr.encode(Esr.EC_IABT_LOW, Esr.ISS_S1PTW | Esr.FSC_PERMISSION | 3);
        assertEquals(0x8200008FL, s1ptw);
        assertTrue(Esr.s1ptw(s1ptw));
        assertEquals(Esr.FSC_PERMISSION, Esr.fscType(s1ptw));
    }

    @Test
    void systemRegisterTrap() {
        // MRS X2, CTR_EL0 (op0 3, op1 3, CRn 0, CRm 0, op2 1): Linux's ESR_ELx_SYS64_ISS_SYS_CTR_READ | Rt 2.
        int iss = Esr.sysRegSyndrome(3, 3, 0, 0, 1, 2, true);
        assertEquals(0x32C001 | (2 << 5), iss);
        assertEquals(3, Esr.sysOp0(iss));
        assertEquals(3, Esr.sysOp1(iss));
        assertEquals(0, Esr.sysCrn(iss));
        assertEquals(0, Esr.sysCrm(iss));
        assertEquals(1, Esr.sysOp2(iss));
        assertEquals(2, Esr.sysRt(iss));
        assertTrue(Esr.sysRead(iss));
        // MSR SCTLR_EL1, X3 trapped by HCR_EL2.TVM.
        long esr = Esr.encode(Esr.EC_SYS64, Esr.sysRegSyndrome(3, 0, 1, 0, 0, 3, false));
        assertEquals(0x62300460L, esr);
        assertFalse(Esr.sysRead(esr));
        assertEquals("SCTLR_EL1", SysRegTable.nameAt(SysRegTable.keyOf(esr)));
    }

    @Test
    void wfxHvcSmcAndFpTraps() {
        // A trapped WFI and WFE: CV 1, COND 0b1110, TI 0 / 1.
        assertEquals(0x07E00000L, Esr.encode(Esr.EC_WFX, Esr.wfxSyndrome(false)));
        assertEquals(0x07E00001L, Esr.encode(Esr.EC_WFX, Esr.wfxSyndrome(true)));
        assertFalse(Esr.wfxIsWfe(Esr.wfxSyndrome(false)));
        assertTrue(Esr.wfxIsWfe(Esr.wfxSyndrome(true)));
        // HVC #0x1234, SMC #0: the immediate in ISS[15:0].
        long hvc = Esr.encode(Esr.EC_HVC64, 0x1234);
        assertEquals(0x5A001234L, hvc);
        assertEquals(0x1234, Esr.imm16(hvc));
        assertEquals(0x5E000000L, Esr.encode(Esr.EC_SMC64, 0));
        // FP/SIMD access trap from AArch64 (CV 1, COND 0b1110, as QEMU reports it).
        assertEquals(0x1FE00000L, Esr.encode(Esr.EC_FP_ASIMD, Esr.ISS_COND_ALWAYS));
    }

    @Test
    void encodeKeepsTheIssToItsField() {
        assertEquals(0x02000000L, Esr.encode(Esr.EC_UNKNOWN, 0));
        assertEquals(0xF3FFFFFFL, Esr.encode(Esr.EC_BRK64, -1));
        assertEquals(0x1ffffff, Esr.iss(0xF3FFFFFFL));
    }
}
