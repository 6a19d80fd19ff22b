package org.jvisor.hyp;

import org.jvisor.cpu.Ram;

/** Guest RAM: {@code size} bytes at guest physical {@code guestPhysAddr}, held at host physical {@code hostPhysAddr}. */
public record MemorySlot(int slot, long guestPhysAddr, long size, long hostPhysAddr, Ram memory) {
    public boolean contains(long ipa) { return ipa - guestPhysAddr >= 0 && ipa - guestPhysAddr < size; }

    public long hostAddress(long ipa) { return hostPhysAddr + (ipa - guestPhysAddr); }
}
