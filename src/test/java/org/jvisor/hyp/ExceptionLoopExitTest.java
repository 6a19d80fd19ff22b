package org.jvisor.hyp;

import static org.jvisor.hyp.Guest.*;
import static org.junit.jupiter.api.Assertions.*;

import org.jvisor.cpu.Cpu;
import org.jvisor.cpu.Esr;
import org.jvisor.cpu.ExceptionLoopWatch;
import org.junit.jupiter.api.Test;
import org.jvisor.testing.NeedsCross;

/**
 * A guest stuck taking the same exception is an {@link VcpuExit.ExceptionLoop} exit, whether the loop
 * runs through the hypervisor (a vector outside RAM: stage-2 fault, external abort injected at the vector,
 * again) or entirely inside the guest (a vector of UDFs). Syndromes as the Arm ARM gives them: an
 * instruction fetch external abort from the current EL is EC 0x21 with IFSC 0x10, a data access one EC
 * 0x25 with DFSC 0x10; synchronous exceptions from EL1 with SP_EL1 go to VBAR_EL1 + 0x200.
 */
@NeedsCross
class ExceptionLoopExitTest {

    /** What a text file given as a kernel does: an UNDEFINED word, with VBAR_EL1 at its reset value 0. */
    @Test
    void aVectorOutsideRamLoopsThroughTheHypervisor() {
        Guest g = new Guest("udf #0");
        long start = System.nanoTime();
        VcpuExit e = g.vcpu.run();
        double ms = (System.nanoTime() - start) / 1e6;
        VcpuExit.ExceptionLoop l = assertInstanceOf(VcpuExit.ExceptionLoop.class, e);
        assertEquals(new VcpuExit.ExceptionLoop(1, 0x200, Esr.EC_IABT_CUR, 0x200, 0x200, ExceptionLoopWatch.REPEATS), l);
        assertEquals(0x10, g.vcpu.register("ESR_EL1") & 0x3f, "IFSC: synchronous external abort");
        // Each round was a stage-2 instruction abort at the vector (EL2), then the injected abort.
        assertTrue(g.vcpu.stats().exits(Esr.EC_IABT_LOW) > ExceptionLoopWatch.REPEATS, g.vcpu.stats().toString());
        // Running again lets it go on, and it is reported again.
        start = System.nanoTime();
        assertInstanceOf(VcpuExit.ExceptionLoop.class, g.vcpu.run());
        System.out.printf("exception loop through the hypervisor recognised after %.1f ms, again after %.1f ms%n", ms, (System.nanoTime() - start) / 1e6);
    }

    /** A vector table of zeros in RAM: UDF #0 at the vector, taken to the vector, with no exit at all. */
    @Test
    void aVectorOfUdfsLoopsInsideTheGuest() {
        Guest g = new Guest("""
                adr x0, vectors
                msr vbar_el1, x0
                udf #0
                .balign 2048
            vectors:
                .fill 512, 4, 0
                """);
        VcpuExit.ExceptionLoop l = assertInstanceOf(VcpuExit.ExceptionLoop.class, g.vcpu.run());
        long vbar = g.vcpu.register("VBAR_EL1");
        assertEquals(RAM + 0x800, vbar);
        assertEquals(new VcpuExit.ExceptionLoop(1, vbar + 0x200, Esr.EC_UNKNOWN, vbar + 0x200, 0x200, ExceptionLoopWatch.REPEATS), l);
        assertEquals(1, g.vcpu.stats().totalExits(), "one exit: the code page's first fetch");
    }

    /**
     * A vector that reads a device nobody claims: the VMM refuses the access, the guest takes an external
     * data abort at the vector, to the same vector (a loop through the VMM).
     */
    @Test
    void anUnclaimedAccessInTheVectorLoopsThroughTheVmm() {
        Guest g = new Guest("""
                adr x0, vectors
                msr vbar_el1, x0
                movz x1, #0x0900, lsl #16
                udf #0
                .balign 2048
            vectors:
                .skip 0x200
                ldr w2, [x1]
                """);
        VcpuExit e;
        int mmio = 0;
        while ((e = g.vcpu.run()) instanceof VcpuExit.Mmio m) {
            assertEquals(MMIO, m.address());
            g.vcpu.completeMmioUnclaimed();
            mmio++;
        }
        VcpuExit.ExceptionLoop l = assertInstanceOf(VcpuExit.ExceptionLoop.class, e);
        long vector = g.vcpu.register("VBAR_EL1") + 0x200;
        assertEquals(new VcpuExit.ExceptionLoop(1, vector, Esr.EC_DABT_CUR, vector, 0x200, ExceptionLoopWatch.REPEATS), l);
        assertEquals(0x10, g.vcpu.register("ESR_EL1") & 0x3f, "DFSC: synchronous external abort");
        assertTrue(mmio >= ExceptionLoopWatch.REPEATS, "MMIO exits: " + mmio);
    }
}
