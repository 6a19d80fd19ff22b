package org.jvisor.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;

/** The test boots the default guest's Linux kernel: tens of seconds or more (and so it needs the guest). */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(Needs.LINUX)
@NeedsGuest
public @interface BootsLinux {}
