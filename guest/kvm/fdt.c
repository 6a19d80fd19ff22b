/* The device tree writer of fdt.h. All numbers in a DTB are big-endian. */
#include "fdt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FDT_MAGIC = 0xd00dfeed, FDT_BEGIN_NODE = 1, FDT_END_NODE = 2, FDT_PROP = 3, FDT_END = 9 };
enum { HEADER_SIZE = 40, RESERVE_MAP_SIZE = 16 };   /* the memory reservation map: just its terminator */

static void *grow(void *p, size_t *cap, size_t need)
{
    if (need <= *cap) return p;
    while (*cap < need) *cap = *cap ? *cap * 2 : 4096;
    p = realloc(p, *cap);
    if (!p) {
        perror("kvm-vmm: device tree");
        exit(1);
    }
    return p;
}

static void put_bytes(struct fdt *f, const void *data, size_t len)
{
    size_t padded = (len + 3) & ~(size_t)3;   /* every token starts on a 4-byte boundary */
    f->structure = grow(f->structure, &f->structure_cap, f->structure_len + padded);
    memcpy(f->structure + f->structure_len, data, len);
    memset(f->structure + f->structure_len + len, 0, padded - len);
    f->structure_len += padded;
}

static void put_u32(struct fdt *f, uint32_t v)
{
    uint32_t be = __builtin_bswap32(v);
    put_bytes(f, &be, 4);
}

/* A property's name is an offset into the strings block; equal names share one string. */
static uint32_t string_offset(struct fdt *f, const char *s)
{
    size_t len = strlen(s) + 1;
    for (size_t off = 0; off < f->strings_len; off += strlen(f->strings + off) + 1) {
        if (strcmp(f->strings + off, s) == 0) return (uint32_t)off;
    }
    f->strings = grow(f->strings, &f->strings_cap, f->strings_len + len);
    memcpy(f->strings + f->strings_len, s, len);
    f->strings_len += len;
    return (uint32_t)(f->strings_len - len);
}

void fdt_begin_node(struct fdt *f, const char *name)
{
    put_u32(f, FDT_BEGIN_NODE);
    put_bytes(f, name, strlen(name) + 1);
    f->depth++;
}

void fdt_end_node(struct fdt *f)
{
    put_u32(f, FDT_END_NODE);
    f->depth--;
}

void fdt_prop(struct fdt *f, const char *name, const void *value, size_t len)
{
    put_u32(f, FDT_PROP);
    put_u32(f, (uint32_t)len);
    put_u32(f, string_offset(f, name));
    put_bytes(f, value, len);
}

void fdt_prop_u32(struct fdt *f, const char *name, uint32_t value)
{
    fdt_prop_cells(f, name, 1, &value);
}

void fdt_prop_string(struct fdt *f, const char *name, const char *value)
{
    fdt_prop(f, name, value, strlen(value) + 1);
}

void fdt_prop_cells(struct fdt *f, const char *name, int n, const uint32_t *cells)
{
    uint32_t be[16];
    if (n > 16) {
        fprintf(stderr, "kvm-vmm: device tree: property %s has more than 16 cells\n", name);
        exit(1);
    }
    for (int i = 0; i < n; i++) be[i] = __builtin_bswap32(cells[i]);
    fdt_prop(f, name, be, (size_t)n * 4);
}

void *fdt_finish(struct fdt *f, size_t *size)
{
    if (f->depth != 0) {
        fprintf(stderr, "kvm-vmm: device tree: %d node(s) left open\n", f->depth);
        exit(1);
    }
    put_u32(f, FDT_END);
    size_t off_struct = HEADER_SIZE + RESERVE_MAP_SIZE, off_strings = off_struct + f->structure_len;
    size_t total = off_strings + f->strings_len;
    uint8_t *blob = calloc(1, total);
    if (!blob) {
        perror("kvm-vmm: device tree");
        exit(1);
    }
    uint32_t header[10] = {
        FDT_MAGIC, (uint32_t)total, (uint32_t)off_struct, (uint32_t)off_strings, HEADER_SIZE,
        17,                       /* version */
        16,                       /* last compatible version */
        0,                        /* boot CPU's physical id */
        (uint32_t)f->strings_len, (uint32_t)f->structure_len,
    };
    for (int i = 0; i < 10; i++) header[i] = __builtin_bswap32(header[i]);
    memcpy(blob, header, sizeof header);
    memcpy(blob + off_struct, f->structure, f->structure_len);
    memcpy(blob + off_strings, f->strings, f->strings_len);
    free(f->structure);
    free(f->strings);
    memset(f, 0, sizeof *f);
    *size = total;
    return blob;
}
