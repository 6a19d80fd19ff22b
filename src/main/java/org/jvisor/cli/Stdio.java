package org.jvisor.cli;

import java.util.List;

/**
 * Who has the terminal, decided from QEMU's {@code -serial}, {@code -monitor} and {@code -nodefaults} the
 * way qemu-system does with {@code -nographic}, which jvisor always is: by default the serial port and the
 * monitor share it ({@code mon:stdio}: Ctrl-A c switches); {@code -serial stdio} gives it to the serial port
 * alone; with {@code -serial none} the monitor has it unless {@code -monitor none}; {@code -nodefaults}
 * leaves both unconnected unless named.
 *
 * @param serial where the PL011 is connected
 * @param monitor whether the monitor is on the terminal
 * @param startInMonitor whether the keyboard starts in the monitor rather than at the guest's console
 */
record Stdio(Serial serial, boolean monitor, boolean startInMonitor) {
    enum Serial {
        /** {@code mon:stdio}: the terminal, shared with the monitor; Ctrl-A escapes. */
        MUX,
        /** {@code stdio}: the terminal, the guest's alone; Ctrl-C ends jvisor. */
        STDIO,
        /** {@code none} (or {@code null}): output dropped, no input. */
        NONE
    }

    static Stdio of(List<String> serialOptions, String monitorOption, boolean nodefaults) {
        if (serialOptions.size() > 1) throw new UserError("-serial: the virt board has one serial port (-serial given " + serialOptions.size() + " times)");
        if (monitorOption != null && !monitorOption.equals("stdio") && !monitorOption.equals("none"))
            throw new UserError("-monitor " + monitorOption + ": expected stdio or none");
        Serial serial = serialOptions.isEmpty() ? (nodefaults ? Serial.NONE : Serial.MUX) : switch (serialOptions.get(0)) {
            case "mon:stdio" -> Serial.MUX;
            case "stdio" -> Serial.STDIO;
            case "none", "null" -> Serial.NONE;
            default -> throw new UserError("-serial " + serialOptions.get(0) + ": expected mon:stdio, stdio or none");
        };
        boolean monitorStdio = "stdio".equals(monitorOption);
        return switch (serial) {
            case MUX -> new Stdio(serial, !"none".equals(monitorOption), monitorStdio);
            case STDIO -> {
                if (monitorStdio) throw new UserError("-serial stdio and -monitor stdio: the terminal can be only one's (-serial mon:stdio shares it)");
                yield new Stdio(serial, false, false);
            }
            case NONE -> {
                boolean monitor = monitorStdio || monitorOption == null && !nodefaults;
                yield new Stdio(serial, monitor, monitor);
            }
        };
    }

    /** Whether jvisor reads the terminal at all (else stdin is left alone, and Ctrl-C ends jvisor as any program). */
    boolean readsTerminal() { return serial != Serial.NONE || monitor; }
}
