package org.jvisor.cli;

import java.io.PrintStream;
import org.jvisor.cpu.Features;

/**
 * QEMU's {@code -cpu MODEL}. jvisor has one processor, shaped like a Cortex-A57 ({@link Features#cortexA57()}),
 * so {@code cortex-a57} is that, and {@code max} (QEMU's everything-it-can) is accepted with a note saying
 * which processor it gets; any other model is refused.
 */
final class CpuOption {
    private CpuOption() {}

    static final String MODEL = "cortex-a57";

    /** {@code -cpu help}, as QEMU lists its models. */
    static final String HELP = "Available CPUs:\n  " + MODEL + "\n  max\n";

    /** Whether {@code model} asks for the list instead of a processor. */
    static boolean isHelp(String model) { return model.equals("help") || model.equals("?"); }

    /** Checks {@code model}; for {@code max}, says on {@code notes} what jvisor runs instead. */
    static void check(String model, PrintStream notes) {
        if (model.contains(",")) throw new UserError("-cpu " + model + ": jvisor's CPU models take no properties");
        switch (model) {
            case MODEL -> { }
            case "max" -> notes.println("jvisor: -cpu max: jvisor's processor is an ARMv8.0-A " + MODEL + " with FP, AdvSIMD, "
                    + String.join(", ", Features.cortexA57().names()) + "; max gets that, not QEMU's newer features");
            default -> throw new UserError("-cpu " + model + ": unknown CPU model (jvisor's processor is a " + MODEL + "; see -cpu help)");
        }
    }
}
