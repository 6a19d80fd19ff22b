/**
 * The board's legacy devices, one small class each as kvmtool's hw/: the PL011 UART, the PL031 RTC and their
 * shared PrimeCell identification registers.
 */
package org.jvisor.vmm.devices;
