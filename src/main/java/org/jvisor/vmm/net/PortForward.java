package org.jvisor.vmm.net;

/**
 * A port of the host forwarded to the guest (QEMU's {@code hostfwd=tcp:HOSTADDR:HOSTPORT-:GUESTPORT}),
 * as passt's {@code -t}/{@code -u} take it: {@code [HOSTADDR/]HOSTPORT:GUESTPORT}.
 *
 * @param hostAddress the host address to bind, or "" for every address
 */
public record PortForward(boolean udp, String hostAddress, int hostPort, int guestPort) {
    public PortForward {
        if (hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535)
            throw new IllegalArgumentException("port out of range: " + hostPort + " -> " + guestPort);
    }

    /** passt's option and its value. */
    String[] passtArguments() {
        return new String[]{udp ? "-u" : "-t", (hostAddress.isEmpty() ? "" : hostAddress + "/") + hostPort + ":" + guestPort};
    }
}
