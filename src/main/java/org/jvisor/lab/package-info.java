/**
 * Experiments and measurements on the VMM: the trap experiment and its chart, the trap demo, the benchmark
 * loops as fixed instruction words, and Popek and Goldberg's classification of the A64 system space decided
 * by executing it on the processor ({@link org.jvisor.lab.Classifier}, {@code jvisor classify}).
 */
package org.jvisor.lab;
