package org.jvisor.cpu;

/** Address translation instructions (AT): stage(s), regime and access they ask about. */
public enum AtOp {
    S1E1R, S1E1W, S1E0R, S1E0W, S1E1RP, S1E1WP, S1E2R, S1E2W, S12E1R, S12E1W, S12E0R, S12E0W
}
