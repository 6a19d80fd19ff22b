/**
 * Experiments and measurements on the VMM: the trap experiment and its chart, the trap demo, the benchmark
 * loops as fixed instruction words.
 */
package org.jvisor.lab;
