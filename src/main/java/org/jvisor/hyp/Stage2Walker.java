package org.jvisor.hyp;

/**
 * The callback of {@link Stage2PageTable#walk}, like KVM's kvm_pgtable_walker: it sees one entry and
 * returns the descriptor to store there. Returning {@code desc} leaves the entry alone; anything else is
 * written with break-before-make where the architecture needs it, followed by the invalidation hook.
 * A visitor must not call back into the table it walks.
 */
@FunctionalInterface
public interface Stage2Walker {
    /**
     * @param ipa   the first IPA the entry translates (aligned to the entry's size, so it may lie before
     *              the start of the walked range when a block only partly overlaps it)
     * @param level 1 (1 GiB), 2 (2 MiB) or 3 (4 KiB)
     * @param desc  the descriptor as stored (see {@link Stage2Descriptor})
     * @return the descriptor to store
     */
    long visit(long ipa, int level, long desc);
}
