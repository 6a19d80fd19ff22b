package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/** The table's encodings checked against the GNU assembler's (the reference for register names). */
class SysRegTableTest {
    /** TLBI operations that take no register. */
    private static final Set<String> NO_REGISTER = Set.of("VMALLE1", "VMALLE1IS", "ALLE1", "ALLE1IS", "ALLE2", "ALLE2IS",
            "VMALLS12E1", "VMALLS12E1IS", "IALLU", "IALLUIS");
    /** Registers the armv8.1-a assembler does not know by name (later architecture versions). */
    private static final Set<String> UNKNOWN_TO_AS = Set.of("ID_MMFR5_EL1", "ID_PFR2_EL1", "ID_DFR1_EL1",
            "ID_AA64SMFR0_EL1", "ID_AA64ZFR0_EL1", "ID_AA64ISAR2_EL1", "ID_ISAR6_EL1", "ID_MMFR4_EL1", "DC CVAP",
            "ID_AA64MMFR2_EL1");

    @Test
    void tableIsSortedAndUnique() {
        for (int i = 1; i < SysRegTable.ALL.length; i++)
            assertTrue(SysRegTable.ALL[i - 1].key < SysRegTable.ALL[i].key, SysRegTable.ALL[i].toString());
    }

    @NeedsCross
    @Test
    void encodingsMatchTheAssembler() {
        List<SysReg> regs = new ArrayList<>();
        StringBuilder src = new StringBuilder();
        for (SysReg r : SysRegTable.ALL) {
            if (r.name.startsWith("S3_") || UNKNOWN_TO_AS.contains(r.name)) continue;
            regs.add(r);
            if (r.owner == SysRegTable.OWNER_OPS) {
                String[] p = r.name.split(" ");
                src.append(p[0].toLowerCase()).append(' ').append(p[1].toLowerCase());
                if (!NO_REGISTER.contains(p[1])) src.append(", x3");
                src.append('\n');
            } else if (r.readable) {
                src.append("mrs x3, ").append(r.name).append('\n');
            } else {
                src.append("msr ").append(r.name).append(", x3\n");
            }
        }
        byte[] code = Asm.assemble(src.toString(), TestMachine.RAM_BASE);
        ByteBuffer b = ByteBuffer.wrap(code).order(ByteOrder.LITTLE_ENDIAN);
        for (SysReg r : regs) {
            int insn = b.getInt();
            assertEquals(r.key, (insn >>> 5) & 0xffff, r.name + " encoding");
            assertEquals(r.owner == SysRegTable.OWNER_OPS ? "SYS" : r.readable ? "MRS" : "MSR (register)",
                    Decoder.nameOf(insn), r.name);
        }
    }

    @Test
    void registersCanBeFoundByName() {
        assertNotNull(SysRegTable.byName("sctlr_el1"));
        assertEquals(SysReg.key(3, 3, 14, 0, 0), SysRegTable.byName("CNTFRQ_EL0").key);
    }
}
