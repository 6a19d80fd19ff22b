package org.jvisor.vmm.net;

/**
 * The network behind a NIC: Ethernet frames (destination MAC first, no FCS) go out through {@link #send}
 * and come in, on the backend's own thread, to the {@link Receiver} given to {@link #start}.
 */
public interface NetBackend extends AutoCloseable {
    /**
     * The largest frame either way: an Ethernet header and the largest IP datagram (14 + 65535), rounded
     * up. Larger ones are errors: a guest's is dropped, a peer's ends its connection.
     */
    int MAX_FRAME = 65550;

    /** Where frames from the network go. Called on the backend's thread, one frame at a time. */
    @FunctionalInterface
    interface Receiver {
        /** {@code frame} is the receiver's to keep. */
        void receive(byte[] frame);
    }

    /** Starts delivering frames from the network to {@code receiver}. */
    void start(Receiver receiver);

    /**
     * Sends one frame (the backend keeps the array). Never blocks: a frame the network cannot take now is
     * dropped and counted, as a congested link drops it.
     */
    void send(byte[] frame);

    /** Frames dropped on the way out (the link down or congested). */
    long dropped();

    /** Stops the backend's threads and releases what it holds (sockets, a passt process). */
    @Override
    void close();
}
