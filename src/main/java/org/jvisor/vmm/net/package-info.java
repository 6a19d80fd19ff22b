/**
 * The networks a guest's NIC is plugged into: one {@link org.jvisor.vmm.net.NetBackend} interface (Ethernet
 * frames in and out) with QEMU's {@code -netdev stream}/{@code socket} framing over TCP or UNIX sockets
 * ({@link org.jvisor.vmm.net.StreamLink}) and user-mode networking through passt
 * ({@link org.jvisor.vmm.net.Passt}).
 */
package org.jvisor.vmm.net;
