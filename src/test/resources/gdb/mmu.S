// A bare-metal program for the GDB stub's tests, loaded as a raw binary at 0x40080000 on the virt
// board: starts vCPU 1 (PSCI CPU_ON), enables its MMU with an identity map of RAM plus an alias of RAM
// at VA 0x80000000, jumps into the alias and counts a variable up to 5 through it, then powers off.
        .text
        .global _start
_start:
        movz x0, #0x0003
        movk x0, #0xc400, lsl #16          // PSCI CPU_ON (SMC64)
        mov x1, #1
        adr x2, secondary
        mov x3, #0
        hvc #0
        .global before_mmu
before_mmu:
        adr x0, l1
        msr ttbr0_el1, x0
        mov x1, #0xff00                    // attr 0: Device-nGnRnE, attr 1: Normal write-back
        msr mair_el1, x1
        ldr x1, =(25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (1 << 32))
        msr tcr_el1, x1                    // 39-bit VAs, 4K pages, TTBR1 walks off, 36-bit PAs
        isb
        mrs x1, sctlr_el1
        orr x1, x1, #1                     // M
        orr x1, x1, #(1 << 2)              // C
        orr x1, x1, #(1 << 12)             // I
        .global enable_mmu
enable_mmu:
        msr sctlr_el1, x1
        .global after_enable
after_enable:
        isb
        ldr x2, =(virt_entry + 0x40000000)
        br x2
        .global virt_entry
virt_entry:
        ldr x3, =(counter + 0x40000000)
loop:
        ldr x4, [x3]
        add x4, x4, #1
        .global store
store:
        str x4, [x3]
        cmp x4, #5
        b.lo loop
        movz x0, #0x0008
        movk x0, #0x8400, lsl #16          // PSCI SYSTEM_OFF
        hvc #0
        b .
secondary:
        wfi
        b secondary
        .ltorg
        .balign 8
        .global counter
counter:
        .quad 0
        .balign 4096
l1:
        .quad 0x00000000 | 0x401           // VA 0: device block (the PL011)
        .quad 0x40000000 | 0x705 | 0x300   // VA 1 GiB: RAM, identity
        .quad 0x40000000 | 0x705 | 0x300   // VA 2 GiB: RAM again (the alias)
        .fill 509, 8, 0
