/**
 * virtio over virtio-mmio (virtio 1.2): the transport, split virtqueues read from guest memory with every
 * guest-supplied value checked, and the network, block, console and entropy devices.
 */
package org.jvisor.vmm.virtio;
