package org.jvisor.difftest;

import org.jvisor.cpu.Features;

/**
 * A reference processor: the QEMU CPU model and the jvisor features that match it. LSE atomics need an
 * ARMv8.1+ model; QEMU's {@code max} also has LSE2 (unaligned atomics), pointer authentication and
 * newer data-processing instructions in encodings an ARMv8.0/8.1 processor leaves unallocated, so LSE
 * runs on {@code cortex-a76} (LSE without LSE2) and everything else on {@code cortex-a57}.
 */
enum Profile {
    A57("cortex-a57"),
    LSE("cortex-a76");

    final String qemuCpu;

    Profile(String qemuCpu) {
        this.qemuCpu = qemuCpu;
    }

    Features features() {
        Features f = Features.cortexA57();
        if (this == LSE) f.lse = true;
        return f;
    }
}
