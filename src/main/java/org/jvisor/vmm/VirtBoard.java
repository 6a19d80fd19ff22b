package org.jvisor.vmm;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.jvisor.cpu.MmioHandler;
import org.jvisor.cpu.Ram;
import org.jvisor.hyp.GuestClock;
import org.jvisor.hyp.HideSeek;
import org.jvisor.hyp.Hypervisor;
import org.jvisor.hyp.TrapTrace;
import org.jvisor.hyp.Vcpu;
import org.jvisor.hyp.Vgic;
import org.jvisor.hyp.Vm;
import org.jvisor.vmm.debug.ConsoleWatch;
import org.jvisor.vmm.devices.ConsoleInput;
import org.jvisor.vmm.devices.Pl011;
import org.jvisor.vmm.devices.Pl031;
import org.jvisor.vmm.virtio.VirtioBlock;
import org.jvisor.vmm.virtio.VirtioConsole;
import org.jvisor.vmm.virtio.VirtioDevice;
import org.jvisor.vmm.virtio.VirtioMmioTransport;
import org.jvisor.vmm.virtio.VirtioNet;
import org.jvisor.vmm.net.NetBackend;
import org.jvisor.vmm.net.Nic;
import org.jvisor.vmm.virtio.VirtioRng;
import org.jvisor.cpu.StateException;
import org.jvisor.cpu.StateReader;
import org.jvisor.cpu.StateWriter;
import org.jvisor.vmm.snapshot.BuildId;
import org.jvisor.vmm.snapshot.SnapshotException;
import org.jvisor.vmm.snapshot.SnapshotFile;
import java.nio.file.Path;

/**
 * QEMU's {@code virt} board on jvisor's hypervisor (hw/arm/virt.c's memory map): RAM from 1 GiB, a GICv2
 * or GICv3 served inside the hypervisor, PL011 and PL031, one virtio-mmio transport per backed virtio
 * device, PSCI, and the device tree that describes exactly that. The devices of the board are the VMM's:
 * the guest's accesses to them leave {@code Vcpu.run()} as MMIO exits and reach them through the
 * {@link MmioBus}, as QEMU's and kvmtool's devices are reached on KVM.
 *
 * <p>With {@link BoardConfig#virtualization} the guest owns EL2 ({@link Hypervisor#createVmOwningEl2}): the
 * boot CPU starts at EL2h, PSCI is the firmware's over SMC, the devices (the GIC too) are served on the
 * accessing vCPU's thread ({@link Vm#addDevice}), and the GIC's outputs are the processors' physical IRQ and FIQ.
 *
 * <pre>
 *   try (VirtBoard board = VirtBoard.build(config, System.out)) {
 *       int status = board.run();      // until the guest powers off (or stop() is called)
 *   }
 * </pre>
 */
public final class VirtBoard implements AutoCloseable {
    private final BoardConfig config;
    private final Ram ram;
    private final Vm vm;
    private final List<Vcpu> vcpus = new ArrayList<>();
    private final Vgic gic;
    private final MmioBus mmio = new MmioBus();
    private final Pl011 uart;
    private final Pl031 rtc;
    private final List<VirtioMmioTransport> transports = new ArrayList<>();
    private final List<VirtioBlock> disks = new ArrayList<>();
    private final List<NetBackend> networks = new ArrayList<>();
    private final List<VirtioNet> nics = new ArrayList<>();
    /** The board as the device tree describes it; with the loaded guest in {@link #boot} (null until a restored board resets). */
    private final BoardDescription description;
    private LinuxLoader.Boot boot;
    /** The device tree the guest was given: a restored board's comes from its snapshot. */
    private final byte[] deviceTree;
    private final PrintStream log;
    private final VcpuThreads threads;
    private final ConsoleWatch consoleWatch;
    private TrapTrace trace;

    private VirtBoard(BoardConfig config, OutputStream serial, OutputStream console, PrintStream log, boolean restartOnReset,
            Restore restore) throws BootException {
        this.config = config;
        this.log = log;
        consoleWatch = new ConsoleWatch(console);
        try {
            ram = restore == null ? Ram.allocate(config.ramSize()) : restore.ram();
        } catch (OutOfMemoryError e) {
            // mmap refused: with vm.overcommit_memory=2 the host commits what is mapped, MAP_NORESERVE or not.
            throw new BootException("the host refused to map " + LinuxLoader.size(config.ramSize()) + " of guest RAM (mmap failed)");
        }
        GuestClock clock = config.instructionClock() ? GuestClock.INSTRUCTIONS : GuestClock.HOST;
        vm = config.virtualization() ? new Hypervisor().createVmOwningEl2(clock)
                : config.trapAndEmulate() ? new Hypervisor().createTrapAndEmulateVm(clock) : new Hypervisor().createVm(clock);
        try {
            if (config.virtualization() && config.hideSeek())
                throw new BootException("-M virt,virtualization=on: no hide/seek device in this mode (it lives in jvisor's own stage 2)");
            vm.setUserMemoryRegion(0, BoardDescription.VIRT_RAM_BASE, config.ramSize(), ram);
            for (int i = 0; i < config.cpus(); i++) vcpus.add(vm.createVcpu(i));
            gic = Vgic.create(vm, config.gicVersion());
            BoardDescription d = BoardDescription.virt(config.ramSize(), config.cpus(), config.gicVersion()).withPmu(true)
                    .withGuestOwningEl2(config.virtualization());

            // The watch (the monitor's wait-for) sees what reaches the terminal: not a serial port connected to nothing.
            uart = new Pl011(serial == console ? consoleWatch : serial, gic.spiLine(BoardDescription.VIRT_UART_SPI));
            addDevice(BoardDescription.VIRT_UART, 0x1000, "pl011", uart);
            rtc = new Pl031(gic.spiLine(BoardDescription.VIRT_RTC_SPI), config.rtcStart() == null
                    ? InstantSource.offset(InstantSource.system(), config.rtcOffset())
                    : guestClock(config.rtcStart(), vcpus.get(0)));
            addDevice(BoardDescription.VIRT_RTC, 0x1000, "pl031", rtc);

            GuestMemory memory = GuestMemory.of(vm);
            for (BoardConfig.Drive drive : config.drives()) {
                InputFiles.regularFileSize("disk image", drive.file());
                VirtioBlock disk;
                try {
                    disk = new VirtioBlock(drive.file(), drive.readOnly());
                } catch (IOException e) {
                    throw new BootException(cannotOpen(drive, e));
                }
                disks.add(disk);
                d = d.withVirtio(addVirtio(disk, memory));
            }
            if (config.virtioRng()) d = d.withVirtio(addVirtio(new VirtioRng(), memory));
            // A second console (/dev/hvc0) whose output joins the serial console's; input stays with the PL011.
            if (config.virtioConsole()) d = d.withVirtio(addVirtio(new VirtioConsole(consoleWatch), memory));
            for (Nic nic : config.nics()) {
                NetBackend network = nic.netdev().open(log);
                networks.add(network);
                VirtioNet device = new VirtioNet(network, nic.mac(), nic.mtu());
                nics.add(device);
                d = d.withVirtio(addVirtio(device, memory));
            }
            if (config.hideSeek()) {
                HideSeek.install(vm, log::println);
                d = d.withHideSeek();
            }

            description = d.withBootargs(config.bootargs());
            if (restore == null) {
                boot = LinuxLoader.prepare(description, config.kernel(), config.initrd());
                deviceTree = boot.dtb();
                loadGuest();
            } else {
                deviceTree = restore.apply(this);
            }
            // Frames flow once the NICs' state is the guest's: a restored one's queues are the snapshot's.
            for (int i = 0; i < nics.size(); i++) networks.get(i).start(nics.get(i));
        } catch (BootException | RuntimeException e) {
            closeQuietly();
            throw e;
        }
        threads = new VcpuThreads(vcpus, mmio, restartOnReset, v -> reboot(), log);
    }

    /**
     * Builds the board {@code config} describes, with the guest's console output going to {@code console};
     * problems with the user's files or sizes throw {@link BootException} with a one-line message.
     */
    public static VirtBoard build(BoardConfig config, OutputStream console, PrintStream log, boolean restartOnReset)
            throws BootException {
        return new VirtBoard(config, console, console, log, restartOnReset, null);
    }

    /**
     * As {@link #build(BoardConfig, OutputStream, PrintStream, boolean)}, with the PL011's output going to
     * {@code serial} and the virtio console's to {@code console} (QEMU's -serial none: a serial port
     * connected to nothing, {@link OutputStream#nullOutputStream()}).
     */
    public static VirtBoard build(BoardConfig config, OutputStream serial, OutputStream console, PrintStream log,
            boolean restartOnReset) throws BootException {
        return new VirtBoard(config, serial, console, log, restartOnReset, null);
    }

    /**
     * A board restored from {@code snapshot}: built as the saved one was, its RAM mapped from the file,
     * every part's state put back; {@link #run()} goes on from where it was saved. The board's
     * output streams and reset behaviour are the caller's, as in {@link #build}. A snapshot that does not
     * fit gives a {@link BootException} with one line, and no board.
     */
    public static VirtBoard restore(SnapshotFile snapshot, OutputStream serial, OutputStream console, PrintStream log,
            boolean restartOnReset) throws BootException {
        StateReader state = new StateReader(snapshot.state());
        BoardConfig config;
        try {
            config = SavedBoardConfig.read(state);
        } catch (StateException e) {
            throw new BootException(snapshot.path() + ": " + e.getMessage());
        }
        return new VirtBoard(config, serial, console, log, restartOnReset, new Restore(snapshot, state));
    }

    /** The board's configuration, as given or as its snapshot saved it. */
    public BoardConfig config() { return config; }

    /**
     * Saves the whole machine to {@code file} (see {@link SnapshotFile}); the board must be paused
     * ({@link #pause()}) or held ({@link #hold()}: what a snapshot taker uses, so that two at once do not
     * resume each other's), and stays so. {@code description} says what the snapshot holds.
     */
    public void save(Path file, String description) throws IOException {
        synchronized (snapshotLock) {
            if (closed) throw new IllegalStateException("the board is closed");
            saveLocked(file, description);
        }
    }

    /** Held while a snapshot reads the machine: {@link #close} waits for it, as it frees the RAM. */
    private final Object snapshotLock = new Object();
    private boolean closed;

    private void saveLocked(Path file, String description) throws IOException {
        if (!threads.allParked()) throw new IllegalStateException("the board is running: pause it first");
        for (VirtioMmioTransport t : transports) t.hold();
        try {
            writeSnapshot(file, description);
        } finally {
            for (VirtioMmioTransport t : transports) t.release();
        }
    }

    /** The paused machine, its devices held (no frame or input written into RAM meanwhile), into {@code file}. */
    private void writeSnapshot(Path file, String description) throws IOException {
        StateWriter w = new StateWriter();
        SavedBoardConfig.write(config, w);
        w.putBytes(deviceTree);
        vm.saveState(w);
        w.tag("clock").putLong(vm.clockCount());
        for (Vcpu v : vcpus) v.saveState(w);
        gic.saveState(w);
        uart.saveState(w);
        rtc.saveState(w);
        for (VirtioMmioTransport t : transports) t.saveState(w);
        w.tag("console").putString(consoleWatch.currentLine());
        List<SnapshotFile.RamSource> memory = new ArrayList<>();
        memory.add(new SnapshotFile.RamSource("ram", ram.segment()));
        Ram tables = vm.stage2TableMemory();
        if (tables != null) memory.add(new SnapshotFile.RamSource("stage2", tables.segment()));
        SnapshotFile.write(file, new SnapshotFile.Header(BuildId.current(), madeBy(), java.time.Instant.now(), description),
                w.toByteArray(), memory);
    }

    /**
     * Puts this paused (or held) board back in the state {@code snapshot} saved (the monitor's {@code loadvm}), as QEMU
     * loads a snapshot into its running machine: the snapshot must be of a board configured as this one.
     * Everything that can fail (the file's checksums, the machine it was made on) is checked before anything
     * changes; the state is then read into the board's parts. If that still fails (a file made to fool the
     * checks), the board is left stopped with an internal error, never running half-restored.
     */
    public void load(SnapshotFile snapshot) throws BootException {
        if (!threads.allParked()) throw new IllegalStateException("the board is running: pause it first");
        StateReader state = new StateReader(snapshot.state());
        try {
            BoardConfig saved = SavedBoardConfig.read(state);
            String difference = SavedBoardConfig.difference(saved, config);
            if (difference != null) throw new BootException(snapshot.path() + ": made on another machine (" + difference + ")");
        } catch (StateException e) {
            throw new BootException(snapshot.path() + ": " + e.getMessage());
        }
        Ram image;
        SnapshotFile.RamRegion region;
        try {
            region = snapshot.ram("ram");
            if (region.size() != ram.size()) throw new BootException(snapshot.path() + ": its RAM is not this machine's size");
            image = snapshot.mapRam(region);
            snapshot.verifyRam(region, image.segment());
        } catch (SnapshotException e) {
            throw new BootException(e.getMessage());
        }
        // The devices are held until their state is the snapshot's: a host thread's frame or input must not
        // land in the RAM being replaced through queues that are not yet those of that RAM.
        for (VirtioMmioTransport t : transports) t.hold();
        try {
            ram.segment().copyFrom(image.segment());
            vm.guestMemoryReplaced();
            new Restore(snapshot, state).apply(this);
        } catch (BootException | RuntimeException e) {
            log.println("jvisor: loadvm failed half-way, the VM is stopped: " + e.getMessage());
            threads.stop(VcpuThreads.INTERNAL_ERROR);
            throw new BootException(e.getMessage()); // its devices stay held: nothing of the half-restored machine runs
        } finally {
            image.release();
        }
        for (VirtioMmioTransport t : transports) t.release();
    }

    /** The line a snapshot's header says it was made by. */
    static String madeBy() {
        String v = VirtBoard.class.getPackage().getImplementationVersion();
        return "jvisor " + (v == null ? "(classes)" : v) + ", build " + BuildId.current() + ", Java " + Runtime.version().feature();
    }

    /** The console's last line when the snapshot was saved (a shell's prompt): what a restored terminal shows first. */
    public String restoredConsoleLine() { return restoredConsoleLine; }

    /** Whether this board was restored from a snapshot ({@link #restore}) rather than booted. */
    public boolean restored() { return restoredConsoleLine != null; }

    private String restoredConsoleLine;

    /** Restoring a snapshot into a board being built: its RAM first, then, once the board stands, every part's state. */
    private record Restore(SnapshotFile snapshot, StateReader state) {
        Ram ram() throws BootException {
            try {
                SnapshotFile.RamRegion r = snapshot.ram("ram");
                Ram ram = snapshot.mapRam(r);
                snapshot.verifyRam(r, ram.segment());
                return ram;
            } catch (SnapshotException e) {
                throw new BootException(e.getMessage());
            }
        }

        /** Puts every part's state back; the device tree the guest was given. */
        byte[] apply(VirtBoard b) throws BootException {
            try {
                byte[] dtb = state.getBytes(1 << 20);
                if (dtb.length == 0) throw new StateException("no device tree");
                Ram tables = b.vm.stage2TableMemory();
                if (tables != null) { // before the VM's state, which checks its tables
                    SnapshotFile.RamRegion r = snapshot.ram("stage2");
                    snapshot.copyRam(r, tables.segment());
                    snapshot.verifyRam(r, tables.segment());
                }
                b.vm.restoreState(state);
                long clock = state.tag("clock").getLong();
                for (Vcpu v : b.vcpus) v.restoreState(state);
                b.vm.restoreClock(clock); // after the vCPUs: an instruction count goes on from their instruction counts
                b.gic.restoreState(state);
                b.uart.restoreState(state);
                b.rtc.restoreState(state);
                for (VirtioMmioTransport t : b.transports) t.restoreState(state);
                state.tag("console");
                b.restoredConsoleLine = java.util.Objects.requireNonNullElse(state.getString(4096), "");
                state.end();
                return dtb;
            } catch (StateException e) {
                throw new BootException(snapshot.path() + ": does not fit this machine: " + e.getMessage());
            } catch (SnapshotException e) {
                throw new BootException(e.getMessage());
            }
        }
    }

    /**
     * A register block of the board: the VMM's, reached through MMIO exits; when the guest owns EL2 there are
     * none (no stage 2 of jvisor's to fault), so it sits on the guest's bus, served on the accessing vCPU's thread.
     */
    private void addDevice(long base, long size, String name, MmioHandler device) {
        if (vm.guestOwnsEl2()) vm.addDevice(base, size, device);
        else mmio.add(base, size, name, device);
    }

    /** Why a disk image did not open; for one opened writable that may not be written, how to use it anyway. */
    private static String cannotOpen(BoardConfig.Drive drive, IOException e) {
        String reason = InputFiles.reason(e);
        if (drive.readOnly()) return "cannot open disk image '" + drive.file() + "': " + reason;
        boolean unwritable = e instanceof java.nio.file.AccessDeniedException || reason.equals("Read-only file system");
        return "cannot open disk image '" + drive.file() + "' for writing: " + reason + (unwritable ? " (readonly=on opens it read-only)" : "");
    }

    private BoardDescription.Device addVirtio(VirtioDevice device, GuestMemory memory) {
        BoardDescription.Device slot = BoardDescription.virtioSlot(transports.size());
        VirtioMmioTransport t = new VirtioMmioTransport(device, memory, gic.spiLine(slot.spi()));
        transports.add(t);
        addDevice(slot.base(), slot.size(), "virtio-mmio " + transports.size(), t);
        return slot;
    }

    /** Kernel, initrd and device tree into RAM; the boot vCPU at the kernel's entry as booting.rst asks. */
    private void loadGuest() throws BootException {
        if (boot == null) boot = LinuxLoader.prepare(description, config.kernel(), config.initrd()); // a restored board's first reset
        boot.writeTo(GuestMemory.of(vm));
        BootCpuState s = vm.guestOwnsEl2() ? boot.cpu().atEl2() : boot.cpu();
        Vcpu v = vcpus.get(0);
        v.setPc(s.pc());
        v.setPstate(s.pstate());
        v.setX(0, s.x0());
        v.setX(1, s.x1());
        v.setX(2, s.x2());
        v.setX(3, s.x3());
    }

    /** A guest's SYSTEM_RESET with restart requested: every vCPU is reset; reload and start again. */
    private void reboot() {
        gic.reset();
        uart.reset();
        for (VirtioMmioTransport t : transports) t.reset();
        try {
            loadGuest();
        } catch (BootException e) {
            log.println("jvisor: cannot restart the guest: " + e.getMessage());
            threads.stop(VcpuThreads.INTERNAL_ERROR);
        }
    }

    /** The flattened device tree given to the guest. */
    public byte[] deviceTree() { return deviceTree.clone(); }

    public Vm vm() { return vm; }

    /** The interrupt controller. */
    public Vgic gic() { return gic; }

    /** Where host input for the guest's console goes (the PL011). */
    public ConsoleInput consoleInput() { return uart; }

    /** The virtio-net devices, in the order of {@link BoardConfig#nics}. */
    public List<VirtioNet> nics() { return List.copyOf(nics); }

    /** The guest's console output as the monitor's {@code wait-for} sees it. */
    public ConsoleWatch consoleWatch() { return consoleWatch; }

    /** Prints the trap counters every {@code periodMillis} to {@code out} while the board runs. */
    public void traceTraps(long periodMillis, PrintStream out) { trace = vm.startTrapTrace(periodMillis, out); }

    /**
     * Runs the guest, one thread per vCPU, until it powers off (exit status 0), resets (0, unless the
     * board restarts on reset), a vCPU hits an internal error (1) or {@link #stop} is called.
     */
    public int run() throws InterruptedException {
        try {
            return threads.runUntilStopped();
        } finally {
            consoleWatch.end();
            if (trace != null) trace.close();
        }
    }

    /**
     * Stops all vCPUs outside the guest (a monitor's {@code stop}, a debugger's halt) and returns when
     * every one is parked; until {@link #resume()}, the caller may read and change their registers
     * ({@link #vcpus()}) and guest memory. Any thread but a vCPU's.
     */
    public void pause() throws InterruptedException { threads.pause(); }

    public void resume() { threads.resume(); }

    /** Asks every vCPU to stop outside the guest without waiting for it (any thread, a vCPU's too). */
    public void requestPause() { threads.requestPause(); }

    /**
     * Who is told, on the vCPU's own thread, that a vCPU halted for the host's debugger (its
     * {@link Vcpu#setGuestDebug}; why: {@link Vcpu#debugStop}); it must not block. Null: none.
     */
    public void setDebugListener(java.util.function.Consumer<Vcpu> listener) { threads.setDebugListener(listener); }

    public boolean isPaused() { return threads.isPaused(); }

    /**
     * Parks every vCPU for a look at their state (a monitor's {@code info registers}) without changing
     * whether the VM is paused: each {@code hold()} is ended by one {@link #release()}, after which the
     * vCPUs run again unless {@link #pause} was called. Any thread but a vCPU's.
     */
    public void hold() throws InterruptedException { threads.hold(); }

    public void release() { threads.release(); }

    /** The vCPUs, in id order. */
    public List<Vcpu> vcpus() { return List.copyOf(vcpus); }

    /** Ends {@link #run()} with {@code status}; any thread (the console's Ctrl-A x). */
    public void stop(int status) { threads.stop(status); }

    @Override
    public void close() {
        synchronized (snapshotLock) {
            closed = true;
            closeQuietly();
        }
    }

    private void closeQuietly() {
        for (NetBackend n : networks) n.close();
        for (VirtioBlock d : disks) {
            try {
                d.close();
            } catch (IOException e) {
                log.println("jvisor: closing a disk image: " + e.getMessage());
            }
        }
        if (rtc != null) rtc.close();
        try {
            vm.close();
            ram.release();
        } catch (IllegalStateException e) {
            // a vCPU thread is still inside run(): leave the memory to the process's end
        }
    }

    /** -rtc clock=vm: {@code start} plus the time the system counter has counted (62.5 MHz: 16 ns a tick). */
    private static InstantSource guestClock(java.time.Instant start, Vcpu vcpu) {
        long nanosPerTick = 1_000_000_000L / vcpu.register("CNTFRQ_EL0");
        return () -> start.plusNanos(vcpu.counter() * nanosPerTick);
    }
}
