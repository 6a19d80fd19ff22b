package org.jvisor.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.jvisor.cpu.Asm;
import org.jvisor.testing.NeedsCross;

/** The encodings {@link SystemSpace} composes, checked against the GNU assembler. */
@NeedsCross
class SystemSpaceTest {
    @Test
    void encodingsAreWhatTheAssemblerMakes() {
        Map<String, String> asm = new LinkedHashMap<>();
        asm.put("MRS X0, CNTVCT_EL0", "mrs x0, cntvct_el0");
        asm.put("MSR SCTLR_EL1, X0", "msr sctlr_el1, x0");
        asm.put("MSR HCR_EL2, X0", "msr hcr_el2, x0");
        asm.put("TLBI VMALLE1", "tlbi vmalle1");
        asm.put("TLBI VAE1IS, X0", "tlbi vae1is, x0");
        asm.put("DC ZVA, X0", "dc zva, x0");
        asm.put("AT S1E0R, X0", "at s1e0r, x0");
        asm.put("IC IALLU", "ic iallu");
        asm.put("MSR DAIFSet, #5", "msr daifset, #5");
        asm.put("MSR DAIFClr, #10", "msr daifclr, #10");
        asm.put("MSR SPSel, #0", "msr spsel, #0");
        asm.put("NOP", "nop");
        asm.put("YIELD", "yield");
        asm.put("WFE", "wfe");
        asm.put("WFI", "wfi");
        asm.put("SEV", "sev");
        asm.put("SEVL", "sevl");
        asm.put("CLREX", "clrex");
        asm.put("DSB SY", "dsb sy");
        asm.put("DMB SY", "dmb sy");
        asm.put("ISB", "isb");
        asm.put("ERET", "eret");
        asm.put("SVC #0", "svc #0");
        asm.put("HVC #0", "hvc #0");
        asm.put("SMC #0", "smc #0");
        asm.put("BRK #0", "brk #0");
        asm.put("HLT #0", "hlt #0");
        for (String u : new String[] {"STTRB W0", "LDTRB W0", "LDTRSB X0", "LDTRSB W0", "STTRH W0", "LDTRH W0", "LDTRSH X0",
                "LDTRSH W0", "STTR W0", "LDTR W0", "LDTRSW X0", "STTR X0", "LDTR X0"})
            asm.put(u + ", [X1]", u.toLowerCase() + ", [x1]");
        StringBuilder source = new StringBuilder();
        asm.values().forEach(s -> source.append(s).append('\n'));
        ByteBuffer words = ByteBuffer.wrap(Asm.assemble(source.toString(), 0)).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, Integer> ours = new LinkedHashMap<>();
        for (SystemInstruction i : SystemSpace.instructions()) ours.put(i.text(), i.word());
        for (String text : asm.keySet()) {
            int expected = words.getInt();
            assertEquals(Integer.toHexString(expected), Integer.toHexString(ours.get(text)), text);
        }
    }
}
