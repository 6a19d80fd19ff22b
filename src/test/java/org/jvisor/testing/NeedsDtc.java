package org.jvisor.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;

/**
 * The test reads device tree blobs back with {@code dtc} or {@code fdtget} (Debian's device-tree-compiler).
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(Needs.DTC)
public @interface NeedsDtc {}
