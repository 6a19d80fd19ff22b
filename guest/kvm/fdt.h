/*
 * A tiny flattened device tree writer (the "DTB" format of the Devicetree Specification, v0.4, chapter 5):
 * enough for kvm-vmm to describe its machine to the kernel it boots. Nodes are written in order, as the
 * format lays them out: begin a node, add its properties, its children, end it.
 */
#ifndef FDT_H
#define FDT_H

#include <stddef.h>
#include <stdint.h>

struct fdt {
    uint8_t *structure;    /* the structure block: tokens, node names, property values */
    size_t structure_len, structure_cap;
    char *strings;         /* the strings block: property names, each once */
    size_t strings_len, strings_cap;
    int depth;
};

void fdt_begin_node(struct fdt *f, const char *name);
void fdt_end_node(struct fdt *f);
/* Raw bytes; also a list of strings, such as compatible = "arm,pl011", "arm,primecell": pass
 * "arm,pl011\0arm,primecell" with its length, the last NUL included (sizeof of the literal). */
void fdt_prop(struct fdt *f, const char *name, const void *value, size_t len);
void fdt_prop_u32(struct fdt *f, const char *name, uint32_t value);
void fdt_prop_string(struct fdt *f, const char *name, const char *value);
/* n 32-bit cells; a 64-bit address or size is two cells, high first. */
void fdt_prop_cells(struct fdt *f, const char *name, int n, const uint32_t *cells);
/* The finished blob (malloc'd; *size its length) ; f is emptied. */
void *fdt_finish(struct fdt *f, size_t *size);

#endif
