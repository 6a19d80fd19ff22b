package org.jvisor.cpu;

/** The TLB maintenance operations of ARMv8.0 (each also exists as an Inner Shareable "IS" form). */
public enum TlbiOp {
    VMALLE1, VAE1, ASIDE1, VAAE1, VALE1, VAALE1, VMALLS12E1, ALLE1, ALLE2, VAE2, VALE2, IPAS2E1, IPAS2LE1
}
