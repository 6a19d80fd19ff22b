package org.jvisor.cpu;

/**
 * The JVM code the {@link Translator} made of one code page: a hidden class implementing this. {@code run}
 * executes guest instructions from block {@code block} on, with {@code base} the virtual address the page is
 * mapped at now (so one translation serves every alias of the page), and returns with {@link Cpu#pc} and
 * {@link Cpu#instret} written, before retiring more than {@code chunkEnd - instret} instructions. A fault
 * unwinds it with {@link ExceptionTaken} once the processor's state is what the interpreter would leave.
 */
public interface TranslatedCode {
    void run(Cpu cpu, int block, long base, long chunkEnd);
}
