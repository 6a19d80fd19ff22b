package org.jvisor.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.Features;
import org.jvisor.cpu.SysRegTable;

/**
 * Rows of {@code jvisor classify} checked against the Arm ARM (DDI 0487; each check cites the register field's
 * description or the pseudocode function that decides it, which keep their names across issues): what
 * the architecture says an instruction does at EL0 and EL1 under EL1's controls, and so which of Popek and
 * Goldberg's classes it is in.
 */
class ClassifierTest {
    static Classification linux, strictest, permissive;

    @BeforeAll
    static void classify() {
        linux = Classifier.classify(El1Controls.LINUX);
        strictest = Classifier.classify(El1Controls.STRICTEST);
        permissive = Classifier.classify(El1Controls.PERMISSIVE);
    }

    /** ESR_ELx.EC of the exception a trap took, as the Arm ARM writes it. */
    static String ec(Trap trap) {
        return "0x" + Integer.toHexString(trap.ec());
    }

    @Test
    void msrSctlrEl1IsPrivilegedAndControlSensitive() {
        for (Classification c : List.of(linux, strictest, permissive)) {
            Verdict v = c.verdict("MSR SCTLR_EL1, X0");
            // SCTLR_EL1's accessibility pseudocode: at EL0, UNDEFINED (EC 0x00), whatever EL1's controls.
            assertTrue(v.privileged(), c.controls().name());
            assertEquals("0x0", ec(v.el0Trap()));
            // It controls the EL1&0 regime: M (stage 1 on/off) among others, so translation changes with it.
            assertTrue(v.controlReasons().contains("SCTLR_EL1"), v.controlReasons().toString());
            assertTrue(v.controlReasons().contains("translation of the operand page"), v.controlReasons().toString());
            assertFalse(v.critical());
        }
    }

    @Test
    void cntvctEl0IsCriticalUnderLinuxAndPrivilegedUnderTheStrictest() {
        // CNTKCTL_EL1.EL0VCTEN = 1 (Linux, for the vDSO): EL0 reads CNTVCT_EL0 without a trap. Its value is
        // PhysicalCountInt() - CNTVOFF_EL2 (CNTVCT_EL0's description), so it depends on privileged configuration.
        Verdict v = linux.verdict("MRS X0, CNTVCT_EL0");
        assertNull(v.el0Trap());
        assertTrue(v.behaviourSensitive());
        assertTrue(v.behaviourReasons().get(0).startsWith("VPIDR/VMPIDR/CNTVOFF_EL2 set: X0"), v.behaviourReasons().toString());
        assertTrue(v.critical());
        assertTrue(linux.critical().contains(v));
        // EL0VCTEN = 0 (CNTVCT_EL0's accessibility pseudocode): the EL0 read traps to EL1, EC 0x18.
        Verdict s = strictest.verdict("MRS X0, CNTVCT_EL0");
        assertTrue(s.privileged());
        assertEquals("0x18", ec(s.el0Trap()));
        assertTrue(s.behaviourSensitive());
        assertFalse(s.critical());
    }

    @Test
    void ldtrIsCriticalForAKernelRunAtEl0() {
        // LDTR/STTR at EL1 are checked with EL0's permissions (their pseudocode: AccType_UNPRIV, and
        // AArch64.CheckPermission treats it as an EL0 access): a page's EL0 access decides whether the
        // kernel's LDTR faults (EC 0x25, permission fault), and at EL0 they execute like LDR/STR, no trap.
        // A kernel run at EL0 has its own pages EL0-accessible, so its LDTR of a kernel address succeeds.
        for (Classification c : List.of(linux, strictest)) {
            for (String insn : List.of("LDTR X0, [X1]", "STTR X0, [X1]", "LDTRB W0, [X1]", "LDTRSW X0, [X1]")) {
                Verdict v = c.verdict(insn);
                assertNull(v.el0Trap(), insn);
                assertTrue(v.behaviourReasons().get(0).startsWith("operand page EL1-only: exception: no exception vs DABT_CUR"),
                        v.behaviourReasons().toString());
                assertTrue(v.critical(), insn);
            }
        }
    }

    @Test
    void wfiIsPrivilegedOnlyWhenNtwiIsClear() {
        // SCTLR_EL1.nTWI = 0 (Linux's and the strictest): WFI at EL0 traps to EL1 with EC 0x01
        // (AArch64.CheckForWFxTrap).
        for (Classification c : List.of(linux, strictest)) {
            Verdict v = c.verdict("WFI");
            assertTrue(v.privileged(), c.controls().name());
            assertEquals("0x1", ec(v.el0Trap()));
            assertFalse(v.sensitive());
        }
        // nTWI = 1: WFI executes at EL0 as at EL1.
        Verdict v = permissive.verdict("WFI");
        assertNull(v.el0Trap());
        assertFalse(v.privileged());
        assertFalse(v.critical());
    }

    @Test
    void dcZvaIsPrivilegedByDze() {
        // SCTLR_EL1.DZE (its description, and DC ZVA's accessibility pseudocode): 1 (Linux): DC ZVA executes
        // at EL0; 0: it traps to EL1 with EC 0x18.
        assertNull(linux.verdict("DC ZVA, X0").el0Trap());
        Verdict v = strictest.verdict("DC ZVA, X0");
        assertTrue(v.privileged());
        assertEquals("0x18", ec(v.el0Trap()));
        // It writes zeros to memory, the same at either EL: neither sensitive nor critical.
        assertFalse(linux.verdict("DC ZVA, X0").sensitive());
    }

    @Test
    void dczidReportsDzeAndIsSoCriticalUnderTheStrictest() {
        // DCZID_EL0.DZP reads 1 when DC ZVA is prohibited at the current EL (DCZID_EL0's description): with DZE clear that is
        // the case at EL0 and not at EL1, and EL0 may always read DCZID_EL0, so EL0 sees its privilege level.
        Verdict v = strictest.verdict("MRS X0, DCZID_EL0");
        assertNull(v.el0Trap());
        assertEquals(List.of("EL0 vs EL1: X0"), v.behaviourReasons());
        assertTrue(v.critical());
        assertFalse(linux.verdict("MRS X0, DCZID_EL0").sensitive());
    }

    @Test
    void ctrEl0IsPrivilegedByUct() {
        // SCTLR_EL1.UCT (CTR_EL0's accessibility pseudocode): 1 (Linux): EL0 reads CTR_EL0; 0: the read traps
        // to EL1 with EC 0x18.
        assertNull(linux.verdict("MRS X0, CTR_EL0").el0Trap());
        assertTrue(strictest.verdict("MRS X0, CTR_EL0").privileged());
        assertEquals("0x18", ec(strictest.verdict("MRS X0, CTR_EL0").el0Trap()));
    }

    @Test
    void daifSetIsPrivilegedByUma() {
        // SCTLR_EL1.UMA = 0 (Linux and the strictest; MSR (immediate)'s pseudocode, AArch64.CheckSystemAccess):
        // MSR DAIFSet at EL0 traps to EL1 with EC 0x18; at EL1 it masks interrupts, which configures the machine.
        for (Classification c : List.of(linux, strictest)) {
            Verdict v = c.verdict("MSR DAIFSet, #5");
            assertTrue(v.privileged());
            assertEquals("0x18", ec(v.el0Trap()));
            assertEquals(List.of("DAIF"), v.controlReasons());
        }
        // UMA = 1: EL0 masks interrupts itself without a trap: the lecture's CPS (and x86's POPF) case.
        Verdict v = permissive.verdict("MSR DAIFSet, #5");
        assertNull(v.el0Trap());
        assertTrue(v.critical());
    }

    @Test
    void tlbiVmalle1IsPrivilegedAndControlSensitive() {
        // TLBI VMALLE1's accessibility pseudocode: UNDEFINED at EL0; at EL1 it invalidates every stage 1 entry
        // of the EL1&0 regime for the current VMID, so both planted stale entries are gone.
        Verdict v = linux.verdict("TLBI VMALLE1");
        assertTrue(v.privileged());
        assertEquals("0x0", ec(v.el0Trap()));
        assertEquals(List.of("translation of the stale global page", "translation of the stale non-global page"),
                v.controlReasons());
        // TLBI ASIDE1 (ASID 0) invalidates the entries of that ASID "excluding global entries" (its description).
        assertEquals(List.of("translation of the stale non-global page"), linux.verdict("TLBI ASIDE1, X0").controlReasons());
    }

    @Test
    void atIsBehaviourSensitiveToRelocationLikeSystem370sLra() {
        // AT S1E1R writes the output (physical) address to PAR_EL1 (PAR_EL1.PA, AT's description): it reveals
        // where memory really is.
        Verdict v = linux.verdict("AT S1E1R, X0");
        assertTrue(v.privileged());
        assertTrue(v.behaviourReasons().contains("memory relocated: PAR_EL1"), v.behaviourReasons().toString());
        // MIDR_EL1 read at EL1 returns VPIDR_EL2 when EL2 is implemented and enabled (MIDR_EL1's accessibility
        // pseudocode), which a hypervisor sets.
        assertTrue(linux.verdict("MRS X0, MIDR_EL1").behaviourReasons().contains("VPIDR/VMPIDR/CNTVOFF_EL2 set: X0"));
    }

    @Test
    void nopIsNeither() {
        for (Classification c : List.of(linux, strictest)) {
            Verdict v = c.verdict("NOP");
            assertFalse(v.privileged());
            assertFalse(v.trapsAtBoth());
            assertFalse(v.sensitive());
        }
    }

    @Test
    void eretIsPrivilegedAndChangesTheExceptionLevel() {
        // ERET at EL0 is UNDEFINED (ERET's pseudocode); at EL1 it restores PSTATE from SPSR_EL1
        // (AArch64.ExceptionReturn): here to EL0t.
        Verdict v = linux.verdict("ERET");
        assertTrue(v.privileged());
        assertEquals("0x0", ec(v.el0Trap()));
        assertTrue(v.controlReasons().containsAll(List.of("CurrentEL", "SPSel")), v.controlReasons().toString());
    }

    @Test
    void exceptionGeneratingInstructionsTrapAtBothAndAreNeverCritical() {
        // SVC: EC 0x15 to EL1 from EL0 and EL1 alike (AArch64.CallSupervisor). HVC: UNDEFINED at EL0, EC 0x16
        // to EL2 from EL1 (HVC's pseudocode, AArch64.CallHypervisor).
        Verdict svc = linux.verdict("SVC #0"), hvc = linux.verdict("HVC #0");
        assertTrue(svc.trapsAtBoth());
        assertEquals("0x15", ec(svc.el0Trap()));
        assertEquals("0x15", ec(svc.el1Trap()));
        assertEquals("0x0", ec(hvc.el0Trap()));
        assertEquals("0x16", ec(hvc.el1Trap()));
        assertEquals(2, hvc.el1Trap().el());
        for (Verdict v : List.of(svc, hvc)) {
            assertFalse(v.privileged());
            assertFalse(v.critical());
        }
        // An EL2 register is UNDEFINED at EL0 and EL1 and executes at EL2.
        Verdict hcr = linux.verdict("MSR HCR_EL2, X0");
        assertTrue(hcr.trapsAtBoth());
        assertTrue(hcr.atEl2());
    }

    @Test
    void withPanMsrPanIsPrivilegedAndControlSensitive() {
        // MSR PAN, #imm (FEAT_PAN): UNDEFINED at EL0 (MSR (immediate)'s pseudocode); at EL1 it writes PSTATE.PAN,
        // which decides whether EL1's accesses to EL0-accessible pages fault (AArch64.CheckPermission).
        Features pan = Features.cortexA57();
        pan.pan = true;
        Classification c = Classifier.classify(El1Controls.LINUX, pan);
        Verdict v = c.verdict("MSR PAN, #0");
        assertTrue(v.privileged());
        assertEquals("0x0", ec(v.el0Trap()));
        assertTrue(v.controlReasons().containsAll(List.of("PAN", "translation of the operand page")), v.controlReasons().toString());
        // Without FEAT_PAN the encoding is UNDEFINED everywhere: left out as not implemented.
        assertTrue(linux.notImplemented().contains("MSR PAN, #0"));
        assertTrue(linux.verdict("MRS X0, PAN").trapsAtBoth());
    }

    @Test
    void everyRegisterOfTheSystemRegisterTableIsClassified() {
        Set<String> rows = new HashSet<>();
        for (Verdict v : linux.verdicts()) rows.add(v.name());
        for (SysRegTable.Entry e : SysRegTable.entries()) {
            if (e.operation()) {
                assertTrue(rows.contains(e.name()) || rows.contains(e.name() + ", X0"), e.name());
                continue;
            }
            if (e.readable()) assertTrue(rows.contains("MRS X0, " + e.name()), e.name());
            if (e.writable()) assertTrue(rows.contains("MSR " + e.name() + ", X0"), e.name());
        }
    }

    @Test
    void theoremOneFailsUnderEachSettingAndNamesTheCriticalInstructions() {
        for (Classification c : List.of(linux, strictest, permissive)) {
            assertFalse(c.sensitiveSubsetOfPrivileged());
            for (Verdict v : c.critical()) assertTrue(v.sensitive() && v.el0Trap() == null, v.name());
            for (Verdict v : c.verdicts()) if (v.privileged() || v.trapsAtBoth()) assertFalse(v.critical(), v.name());
        }
    }

    @Test
    void aRunSeesNothingAnEarlierRunWrote() {
        // TPIDR_EL1 has no reset value: the machine must put it back itself between runs.
        ProbeMachine m = new ProbeMachine(El1Controls.LINUX, org.jvisor.cpu.Features.cortexA57());
        SystemInstruction read = SystemSpace.instructions().stream().filter(i -> i.text().equals("MRS X0, TPIDR_EL1")).findFirst().orElseThrow();
        SystemInstruction write = SystemSpace.instructions().stream().filter(i -> i.text().equals("MSR TPIDR_EL1, X0")).findFirst().orElseThrow();
        long before = m.run(read, 0, 1, ProbeMachine.Variant.BASE).x()[0];
        m.run(write, 0x1234, 1, ProbeMachine.Variant.BASE);
        assertEquals(before, m.run(read, 0, 1, ProbeMachine.Variant.BASE).x()[0]);
    }
}
