// SPDX-License-Identifier: GPL-2.0
/*
 * virt_walker: the guest side of jvisor's hide/seek device (a byte hidden in bits [58:51] of the stage-2
 * descriptor that maps IPA 0x40000000; jvisor's org.jvisor.hyp.HideSeek).
 *
 * A misc character device, /dev/virt_walker: write(2) hides the first byte written (HIDE register,
 * one-byte MMIO write at 0x0b000000), read(2) seeks it (SEEK register, one-byte MMIO read at 0x0b000001).
 * A write hides its first byte (and consumes the rest); a read at offset 0 returns one byte, then end of
 * file, so that
 *     echo -n Z > /dev/virt_walker; head -c 1 /dev/virt_walker
 * prints Z. The registers take only single-byte accesses (anything wider is an external abort), hence
 * writeb/readb. The base address comes from the device tree (compatible "jvisor,hide-seek") when there
 * is a node, else the module parameter "base" (default 0x0b000000, the board's address).
 *
 * Copyright (C) 2026 the jvisor authors.
 */
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/of.h>
#include <linux/of_address.h>
#include <linux/uaccess.h>

#define HIDE_OFFSET 0
#define SEEK_OFFSET 1
#define REGION_SIZE 3

static unsigned long base = 0x0b000000;
module_param(base, ulong, 0444);
MODULE_PARM_DESC(base, "physical address of the hide/seek registers when the device tree has no jvisor,hide-seek node");

static void __iomem *regs;
/* A hide is one access, but keep write and read of one process from interleaving with another's. */
static DEFINE_MUTEX(lock);

/* The file is one byte long, read afresh from SEEK at offset 0: cat prints it and ends, lseek(0) reads again. */
static ssize_t virt_walker_read(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	u8 value;

	if (count == 0 || *ppos != 0)
		return 0;
	mutex_lock(&lock);
	value = readb(regs + SEEK_OFFSET);
	mutex_unlock(&lock);
	if (copy_to_user(buf, &value, 1))
		return -EFAULT;
	*ppos = 1;
	return 1;
}

static loff_t virt_walker_llseek(struct file *file, loff_t offset, int whence)
{
	return fixed_size_llseek(file, offset, whence, 1);
}

static ssize_t virt_walker_write(struct file *file, const char __user *buf, size_t count, loff_t *ppos)
{
	u8 value;

	if (count == 0)
		return 0;
	if (copy_from_user(&value, buf, 1))
		return -EFAULT;
	mutex_lock(&lock);
	writeb(value, regs + HIDE_OFFSET);
	mutex_unlock(&lock);
	/* The whole write is consumed: "echo -n ZZ" hides the first Z and reports success, not a short write. */
	return count;
}

static const struct file_operations virt_walker_fops = {
	.owner = THIS_MODULE,
	.read = virt_walker_read,
	.write = virt_walker_write,
	.llseek = virt_walker_llseek,
};

static struct miscdevice virt_walker_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "virt_walker",
	.fops = &virt_walker_fops,
	.mode = 0666,
};

static int __init virt_walker_init(void)
{
	struct device_node *np = of_find_compatible_node(NULL, NULL, "jvisor,hide-seek");
	int ret;

	if (np) {
		regs = of_iomap(np, 0);
		of_node_put(np);
	} else {
		regs = ioremap(base, REGION_SIZE);
	}
	if (!regs) {
		pr_err("virt_walker: cannot map the hide/seek registers\n");
		return -ENOMEM;
	}
	ret = misc_register(&virt_walker_dev);
	if (ret) {
		iounmap(regs);
		return ret;
	}
	pr_info("virt_walker: /dev/virt_walker ready\n");
	return 0;
}

static void __exit virt_walker_exit(void)
{
	misc_deregister(&virt_walker_dev);
	iounmap(regs);
}

module_init(virt_walker_init);
module_exit(virt_walker_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Hide a byte in a stage-2 descriptor through jvisor's hide/seek registers");
MODULE_AUTHOR("jvisor");
