package org.jvisor.cpu;

/**
 * What this processor implements, and therefore what its ID registers advertise. A feature is switched on
 * here only once it is complete and tested; the ID register values are derived from these flags.
 */
public final class Features {
    public boolean crc32;
    public boolean lse;
    public boolean pan;
    /** The crypto extensions: AES (AESE/AESD/AESMC/AESIMC), PMULL of 64-bit elements, SHA1, SHA2-256. */
    public boolean aes, pmull, sha1, sha2;
    public int paBits = 48;

    public static Features cortexA57() {
        Features f = new Features();
        f.crc32 = true;
        f.aes = f.pmull = f.sha1 = f.sha2 = true;
        f.paBits = 44; // the Cortex-A57 TRM's PARange (QEMU's cortex-a57 too): KVM in a guest sizes its IPA space from it
        return f;
    }

    /** The optional features switched on, by their Arm ARM names (FEAT_x), for people to read. */
    public java.util.List<String> names() {
        java.util.List<String> n = new java.util.ArrayList<>();
        if (crc32) n.add("FEAT_CRC32");
        if (aes) n.add("FEAT_AES");
        if (pmull) n.add("FEAT_PMULL");
        if (sha1) n.add("FEAT_SHA1");
        if (sha2) n.add("FEAT_SHA256");
        if (lse) n.add("FEAT_LSE");
        if (pan) n.add("FEAT_PAN");
        return n;
    }

    /** ID_AA64ISAR0_EL1 as derived from the flags. */
    public long idAa64Isar0() {
        long v = 0;
        if (aes) v |= (pmull ? 2L : 1L) << 4;
        if (sha1) v |= 1L << 8;
        if (sha2) v |= 1L << 12;
        if (crc32) v |= 1L << 16;
        if (lse) v |= 2L << 20;
        return v;
    }

    /** ID_AA64MMFR1_EL1: PAN in [23:20]. */
    public long idAa64Mmfr1() {
        return pan ? 1L << 20 : 0;
    }

    /** ID_AA64MMFR0_EL1: PARange, 16-bit ASIDs, 4K, 16K and 64K stage 1 and stage 2 granules. */
    public long idAa64Mmfr0() {
        long parange = switch (paBits) {
            case 32 -> 0;
            case 36 -> 1;
            case 40 -> 2;
            case 42 -> 3;
            case 44 -> 4;
            default -> 5;
        };
        return parange | (2L << 4) /* 16-bit ASID */ | (1L << 8) /* BigEnd: mixed-endian */
                | (1L << 20) /* TGran16 present */ | (0L << 24) /* TGran64 present */ | (0L << 28) /* TGran4 present */;
    }
}
