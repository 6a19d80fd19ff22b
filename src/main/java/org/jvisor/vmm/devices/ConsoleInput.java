package org.jvisor.vmm.devices;

import org.jvisor.vmm.debug.HostConsole;

/**
 * The receiving side of a guest console (a serial port, later a virtio console): where
 * {@link HostConsole} sends what the user types. Called from host threads.
 */
public interface ConsoleInput {
    /**
     * Delivers {@code length} bytes to the guest, in order. Blocks while the device's bounded input buffer
     * is full (the guest is not reading), so host input waits instead of piling up in memory.
     */
    void receive(byte[] bytes, int offset, int length) throws InterruptedException;

    /** A break condition on the line, after the bytes already delivered (Linux's magic SysRq on a serial console). */
    default void receiveBreak() throws InterruptedException {}
}
