package org.jvisor.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an option of {@code jvisor run} that says how jvisor presents or serves the machine, not what the
 * machine is: with only such options a run may start from the booted-guest snapshot, and they may come with
 * {@code -loadvm}. An option without the mark shapes the machine, so one added and forgotten is refused with
 * a snapshot rather than silently ignored.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface HostSide {}
