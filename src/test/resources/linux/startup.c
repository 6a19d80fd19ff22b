/* Start-up without libc: the initial stack (argc, argv, envp, auxv), brk and anonymous mmap, write and
 * exit. Integer instructions only (-mgeneral-regs-only), so it runs before any FP/SIMD instruction exists.
 * Prints only what Linux, QEMU and jvisor must agree on (not addresses, not optional HWCAP bits). */
typedef unsigned long u64;

static long sys(long nr, long a, long b, long c, long d, long e, long f) {
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
}

extern char _start[];
static char buf[4096];
static int len;

static void put(const char *s) {
    while (*s) buf[len++] = *s++;
}

static void num(u64 v) {
    char t[24];
    int n = 0;
    do t[n++] = (char) ('0' + v % 10); while ((v /= 10) != 0);
    while (n) buf[len++] = t[--n];
}

static void kv(const char *k, u64 v) {
    put(k);
    put("=");
    num(v);
    put("\n");
}

static u64 aux(u64 *auxv, u64 type) {
    for (; auxv[0]; auxv += 2)
        if (auxv[0] == type) return auxv[1];
    return ~0UL;
}

void cstart(u64 *sp) {
    u64 argc = sp[0];
    char **argv = (char **) (sp + 1);
    char **envp = argv + argc + 1;
    while (*envp) envp++;
    u64 *auxv = (u64 *) (envp + 1);
    kv("argc", argc);
    put("argv0 ends with startup: ");
    const char *a = argv[0];
    int n = 0;
    while (a[n]) n++;
    put(n >= 7 && a[n - 7] == 's' && a[n - 1] == 'p' ? "yes\n" : "no\n");
    kv("pagesz", aux(auxv, 6));
    kv("phent", aux(auxv, 4));
    kv("hwcap fp|asimd", aux(auxv, 16) & 3);
    kv("entry is _start", aux(auxv, 9) == (u64) _start);
    volatile unsigned char *r = (unsigned char *) aux(auxv, 25);
    for (int i = 0; i < 16; i++) (void) r[i];
    kv("at_random readable", 1);
    long b0 = sys(214, 0, 0, 0, 0, 0, 0);
    long b1 = sys(214, b0 + 65536, 0, 0, 0, 0, 0);
    kv("brk grows", b1 == b0 + 65536);
    char *h = (char *) b0;
    for (int i = 0; i < 65536; i += 4096) h[i] = (char) i;
    long m = sys(222, 0, 1 << 20, 3, 0x22, -1, 0);
    kv("mmap ok", m > 0 && (m & 4095) == 0);
    u64 sum = 0;
    for (int i = 0; i < (1 << 20); i += 512) sum += ((char *) m)[i];
    kv("mmap zeroed", sum == 0);
    ((char *) m)[12345] = 7;
    kv("mmap writable", ((char *) m)[12345]);
    u64 x = 0x123456789abcdef0UL;
    for (int i = 0; i < 1000; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    kv("lcg", x);
    sys(64, 1, (long) buf, len, 0, 0, 0);
    sys(94, 3, 0, 0, 0, 0, 0);
}

__asm__(".globl _start\n_start:\n mov x0, sp\n bl cstart\n");
