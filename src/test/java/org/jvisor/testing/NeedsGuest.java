package org.jvisor.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;

/**
 * The test uses the default Linux guest: Debian's arm64 kernel and busybox packages from the user's cache
 * (~/.cache/jvisor), fetched through apt (and so the network) on first use.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(Needs.GUEST)
public @interface NeedsGuest {}
