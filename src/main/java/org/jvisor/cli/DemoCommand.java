package org.jvisor.cli;

import org.jvisor.lab.TrapDemo;
import java.util.concurrent.Callable;
import org.jvisor.vmm.BootException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jvisor demo}: a bare-metal guest embedded in jvisor provokes every kind of trap, one step at a
 * time, and the host prints each step's counts next to the expected ones. Needs nothing but jvisor.
 */
@Command(name = "demo", description = "Run a small embedded guest that provokes each kind of trap and show the counts (needs nothing from outside).")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--gic", paramLabel = "2|3", defaultValue = "3",
            description = "Interrupt controller of the board (default ${DEFAULT-VALUE}; with 3 the guest's ICC_SGI1R_EL1 write traps).")
    int gic;

    @Option(names = "--stage2-blocks", description = "Stage-2 faults map 2 MiB blocks instead of 4 KiB pages (fewer MEM traps).")
    boolean blocks;

    @Mixin
    TranslateOption translate;

    @Override
    public Integer call() throws Exception {
        if (gic != 2 && gic != 3) throw new UserError("--gic: " + gic + " (expected 2 or 3)");
        translate.apply();
        try {
            return TrapDemo.run(gic, blocks, System.out).allAsExpected() ? 0 : 1;
        } catch (BootException e) {
            throw new UserError(e.getMessage());
        }
    }
}
