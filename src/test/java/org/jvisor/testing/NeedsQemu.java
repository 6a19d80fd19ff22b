package org.jvisor.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;

/**
 * The test runs QEMU, the reference: {@code qemu-aarch64-static} (Debian's qemu-user-static) or
 * {@code qemu-system-aarch64} (qemu-system-arm).
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(Needs.QEMU)
public @interface NeedsQemu {}
