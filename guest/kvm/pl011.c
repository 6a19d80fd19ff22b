/* The PL011 of pl011.h. Register offsets and bits from the PL011 TRM, section 3.2; QEMU's hw/char/pl011.c
 * models the same device. */
#include "pl011.h"

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

enum {
    DR = 0x00, FR = 0x18, IBRD = 0x24, FBRD = 0x28, LCR_H = 0x2c, CR = 0x30, IFLS = 0x34,
    IMSC = 0x38, RIS = 0x3c, MIS = 0x40, ICR = 0x44, DMACR = 0x48,
};
enum { FR_RXFE = 1 << 4, FR_TXFE = 1 << 7 };   /* receive FIFO empty, transmit FIFO empty */
enum { INT_RX = 1 << 4, INT_TX = 1 << 5, INT_RT = 1 << 6 };
enum { RX_FIFO = 4096, CTRL_A = 1 };

/* The PrimeCell identification registers at 0xfe0..0xffc: the AMBA bus reads them to bind the driver. */
static const uint8_t ids[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t room = PTHREAD_COND_INITIALIZER;
static uint8_t rx[RX_FIFO];
static unsigned rx_head, rx_count;
static uint32_t regs[0x50 / 4];    /* the plain read/write registers, by offset / 4 */
static uint32_t tx_pending;        /* INT_TX: set by a transmit, cleared by ICR (as QEMU does) */
static int vm, line_level = -1;
static struct termios saved;
static int raw_terminal;

/* Receive interrupts while there is data, so the driver's handler reads the FIFO until FR says empty. */
static uint32_t raw_status(void)
{
    return tx_pending | (rx_count ? INT_RX | INT_RT : 0);
}

/* The SPI follows the masked status; KVM_IRQ_LINE only when the level changes. Called with lock held. */
static void update_line(void)
{
    int level = (raw_status() & regs[IMSC / 4]) != 0;
    if (level == line_level) return;
    struct kvm_irq_level irq = {
        .irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (32 + PL011_SPI), .level = (uint32_t)level,
    };
    if (ioctl(vm, KVM_IRQ_LINE, &irq) < 0) {
        fprintf(stderr, "kvm-vmm: KVM_IRQ_LINE: %s\n", strerror(errno));
        exit(1);
    }
    line_level = level;
}

void pl011_access(uint64_t offset, int is_write, uint32_t *data)
{
    pthread_mutex_lock(&lock);
    if (is_write) {
        switch (offset) {
        case DR: {
            char c = (char)*data;
            if (write(STDOUT_FILENO, &c, 1) < 0) { /* nowhere to report it */ }
            tx_pending = INT_TX;
            break;
        }
        case ICR: tx_pending &= ~*data; break;
        case IBRD: case FBRD: case LCR_H: case CR: case IFLS: case IMSC: case DMACR:
            regs[offset / 4] = *data;
            break;
        default: break;   /* read-only or unmodelled: ignored, as on the device */
        }
        update_line();
    } else if (offset == DR) {
        *data = 0;
        if (rx_count) {
            *data = rx[rx_head];
            rx_head = (rx_head + 1) % RX_FIFO;
            rx_count--;
            pthread_cond_signal(&room);
        }
        update_line();
    } else if (offset == FR) {
        *data = FR_TXFE | (rx_count ? 0 : FR_RXFE);   /* transmit is instant: never full, never busy */
    } else if (offset == RIS) {
        *data = raw_status();
    } else if (offset == MIS) {
        *data = raw_status() & regs[IMSC / 4];
    } else if (offset >= 0xfe0 && offset < 0x1000) {
        *data = ids[(offset - 0xfe0) / 4];
    } else if (offset < sizeof regs) {
        *data = regs[offset / 4];
    } else {
        *data = 0;
    }
    pthread_mutex_unlock(&lock);
}

static void restore_terminal(void)
{
    if (raw_terminal) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

/* stdin to the receive FIFO. On a terminal, Ctrl-A x quits (Ctrl-A Ctrl-A sends one Ctrl-A), as in QEMU. */
static void *read_input(void *unused)
{
    (void)unused;
    int escape = 0;
    for (;;) {
        unsigned char c;
        ssize_t n = read(STDIN_FILENO, &c, 1);
        if (n <= 0) return NULL;   /* end of input: the guest just receives nothing more */
        if (raw_terminal) {
            if (escape) {
                escape = 0;
                if (c == 'x') {
                    fprintf(stderr, "\r\nkvm-vmm: terminated (Ctrl-A x)\r\n");
                    exit(0);
                }
                if (c != CTRL_A) continue;
            } else if (c == CTRL_A) {
                escape = 1;
                continue;
            }
        }
        pthread_mutex_lock(&lock);
        while (rx_count == RX_FIFO) pthread_cond_wait(&room, &lock);
        rx[(rx_head + rx_count) % RX_FIFO] = c;
        rx_count++;
        update_line();
        pthread_mutex_unlock(&lock);
    }
}

void pl011_start(int vm_fd)
{
    vm = vm_fd;
    if (tcgetattr(STDIN_FILENO, &saved) == 0) {
        struct termios raw = saved;
        cfmakeraw(&raw);
        raw.c_oflag |= OPOST;   /* the outer terminal still turns \n into \r\n for us */
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) {
            raw_terminal = 1;
            atexit(restore_terminal);
        }
    }
    pthread_t t;
    int err = pthread_create(&t, NULL, read_input, NULL);
    if (err) {
        fprintf(stderr, "kvm-vmm: starting the UART's input thread: %s\n", strerror(err));
        exit(1);
    }
    pthread_detach(t);
}
