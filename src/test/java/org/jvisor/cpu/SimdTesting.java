package org.jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs SIMD test snippets the way src/test/python/qemu_simd_ref.py runs them under QEMU (qemu-aarch64-static -cpu
 * cortex-a57): the same prologue (V0-V31 loaded with a byte pattern, x0 = 0x40010000, a data page
 * holding another pattern), the same link address, Normal memory; then compares registers with the
 * values QEMU produced ("v3=<hi 16 hex digits><lo 16 hex digits> x1=<16 hex digits>").
 */
final class SimdTesting {
    static final String PROLOGUE = """
                .arch_extension crypto
                adr x9, __init
                ld1 {v0.16b-v3.16b}, [x9], #64
                ld1 {v4.16b-v7.16b}, [x9], #64
                ld1 {v8.16b-v11.16b}, [x9], #64
                ld1 {v12.16b-v15.16b}, [x9], #64
                ld1 {v16.16b-v19.16b}, [x9], #64
                ld1 {v20.16b-v23.16b}, [x9], #64
                ld1 {v24.16b-v27.16b}, [x9], #64
                ld1 {v28.16b-v31.16b}, [x9], #64
                adr x0, __data
                mov x9, #0
            """;
    static final String DATA = """
                .balign 16
            __init:
                .set i, 0
                .rept 512
                .byte (i * 37 + 11) & 255
                .set i, i + 1
                .endr
                .balign 65536
            __data:
                .set i, 0
                .rept 4096
                .byte (i * 101 + 7) & 255
                .set i, i + 1
                .endr
            """;

    static final long DATA_ADDRESS = TestMachine.RAM_BASE + 0x10000;

    private SimdTesting() {}

    static TestMachine run(String body) {
        return run(body, Features.cortexA57());
    }

    static TestMachine run(String body, Features features) {
        TestMachine m = new TestMachine(features).normalMemory();
        m.load(PROLOGUE + body + "\n    hvc #0\n" + DATA);
        m.cpu.sr.cpacrEl1 = 3L << 20;
        assertEquals(0, m.runToHvc(), "the snippet ends at its hvc #0");
        return m;
    }

    /** Runs {@code body} and checks the registers listed in {@code expected} (the QEMU reference line). */
    static void check(String body, String expected) {
        check(run(body), expected);
    }

    static void check(TestMachine m, String expected) {
        for (String item : expected.trim().split("\\s+")) {
            String[] kv = item.split("=");
            int r = Integer.parseInt(kv[0].substring(1));
            String actual = kv[0].charAt(0) == 'v'
                    ? String.format("%016x%016x", m.cpu.vreg[2 * r + 1], m.cpu.vreg[2 * r])
                    : String.format("%016x", m.cpu.x[r]);
            assertEquals(kv[1], actual, kv[0]);
        }
    }
}
