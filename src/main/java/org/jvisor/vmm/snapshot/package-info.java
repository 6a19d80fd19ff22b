/**
 * Snapshots of a whole VM in one file ({@link org.jvisor.vmm.snapshot.SnapshotFile}): what made it, the
 * machine's state as its parts saved it, and guest RAM stored sparsely so that a restore maps it from the
 * file instead of reading it.
 */
package org.jvisor.vmm.snapshot;
