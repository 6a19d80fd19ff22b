package org.jvisor.cli;

import java.util.Locale;
import java.util.Set;
import org.jvisor.hyp.TrapConfig;

/** {@code --trap SET}: what the hypervisor traps ({@link TrapConfig#parse}), a user error when misspelt. */
final class TrapOption {
    private TrapOption() {}

    static final String HELP = "What the hypervisor traps: minimal (only stage-2 faults and interrupts exit), kvm (KVM's"
            + " HCR_GUEST_FLAGS, the default) or all (every trap control of the processor, each emulated), then +NAME or"
            + " -NAME to add or remove one (e.g. kvm,+TVM,+TRVM); help lists the names.";

    static boolean isHelp(String spec) { return spec.equals("help") || spec.equals("?"); }

    /**
     * {@code jvisor experiment traps}'s extra level: {@code deprivileged[,+NAME...]}, the guest kernel run at
     * EL0 by classic trap-and-emulate (as {@code -M virt,trap-and-emulate=on}), EL2 trapping the minimal set
     * plus what follows.
     */
    static boolean isDeprivileged(String spec) { return spec.split(",", 2)[0].equalsIgnoreCase(DEPRIVILEGED); }

    static final String DEPRIVILEGED = "deprivileged";

    /** {@code --trap help}: every control, its register, whether KVM sets it, and what it traps. */
    static String list() {
        StringBuilder b = new StringBuilder("Trap controls (--trap LEVEL,+NAME,-NAME; levels minimal, kvm, all):\n");
        for (TrapConfig.Trap t : TrapConfig.Trap.values()) {
            b.append(String.format(Locale.ROOT, "  %-9s %-12s %-4s %s%n", t.name(), t.register, TrapConfig.KVM.contains(t) ? "kvm" : "",
                    t.traps));
        }
        return b.toString();
    }

    static Set<TrapConfig.Trap> parse(String spec) {
        try {
            return TrapConfig.parse(isDeprivileged(spec) ? "minimal" + spec.substring(DEPRIVILEGED.length()) : spec);
        } catch (IllegalArgumentException e) {
            throw new UserError("--trap " + spec + ": " + e.getMessage());
        }
    }
}
