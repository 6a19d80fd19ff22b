package org.jvisor.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;

/**
 * The test runs a host tool that is neither in a JDK nor in coreutils: {@code cpio}, {@code mke2fs}
 * (e2fsprogs), {@code script} (util-linux, for a terminal), {@code git}, or a build script's {@code make}
 * and {@code dpkg-deb}.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(Needs.TOOLS)
public @interface NeedsTools {}
