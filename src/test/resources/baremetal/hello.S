// hello: prints a greeting and a little arithmetic, then powers off.
// Expected output (identical on QEMU virt and jvisor):
//   Hello from bare metal!
//   sum 1..100 = 00000000000013ba
//   fib(90) = 27f80ddaa1ba7878
    .include "common.inc"
    .text
    .global _start
_start:
    ldr x0, =stack_top
    mov sp, x0
    INSTALL_VECTORS
    PUTS "Hello from bare metal!\n"

    // 1 + 2 + ... + 100 = 5050 = 0x13ba
    mov x13, #0
    mov x14, #100
1:  add x13, x13, x14
    subs x14, x14, #1
    b.ne 1b
    PUTS "sum 1..100 = "
    PUTHEX x13
    PUTS "\n"

    // fib(90) = 2880067194370816120 = 0x27f80ddaa1ba7878
    mov x13, #0
    mov x14, #1
    mov x15, #90
2:  add x16, x13, x14
    mov x13, x14
    mov x14, x16
    subs x15, x15, #1
    b.ne 2b
    PUTS "fib(90) = "
    PUTHEX x13
    PUTS "\n"
    POWER_OFF

on_exception:
    b unexpected_exception
    VECTOR_TABLE

    .bss
    .balign 16
stack: .skip 16384
stack_top:
