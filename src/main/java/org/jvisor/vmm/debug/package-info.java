/**
 * Debugging and controlling a running VM: the GDB remote-serial-protocol stub, QEMU's human monitor, and the
 * host terminal as the guest's console with the monitor's escape keys.
 */
package org.jvisor.vmm.debug;
