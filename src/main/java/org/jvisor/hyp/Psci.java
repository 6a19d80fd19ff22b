package org.jvisor.hyp;

/**
 * PSCI 1.1 (Arm DEN 0022) over HVC #0 or SMC #0, as KVM provides it: VERSION, CPU_SUSPEND (a WFI),
 * CPU_OFF, CPU_ON, AFFINITY_INFO, MIGRATE_INFO_TYPE, SYSTEM_OFF, SYSTEM_RESET, SYSTEM_RESET2 (its
 * architectural warm reset only), FEATURES. Results go to X0. These run in the guest's context, after
 * which {@link ExitHandlers} has the guest go on after the call.
 */
final class Psci {
    static final int VERSION = 0x84000000, CPU_SUSPEND = 0x84000001, CPU_OFF = 0x84000002, CPU_ON = 0x84000003,
            AFFINITY_INFO = 0x84000004, MIGRATE_INFO_TYPE = 0x84000006, SYSTEM_OFF = 0x84000008,
            SYSTEM_RESET = 0x84000009, FEATURES = 0x8400000A, SYSTEM_RESET2 = 0x84000012, SYSTEM_RESET2_64 = 0xC4000012;
    /** SYSTEM_RESET2's reset type 0: the architectural warm reset (bit 31 clear; vendor types have it set). */
    static final long SYSTEM_WARM_RESET = 0;
    /** The SMC64/HVC64 forms of the calls that take addresses or MPIDRs. */
    static final int CPU_SUSPEND64 = 0xC4000001, CPU_ON64 = 0xC4000003, AFFINITY_INFO64 = 0xC4000004;

    static final long SUCCESS = 0, NOT_SUPPORTED = -1, INVALID_PARAMETERS = -2, ALREADY_ON = -4;
    static final long VERSION_1_1 = 0x10001;
    /** MIGRATE_INFO_TYPE: no Trusted OS, migration not needed. */
    static final long TOS_NOT_PRESENT = 2;
    static final long AFFINITY_ON = 0, AFFINITY_OFF = 1;

    private Psci() {}

    /** The PSCI range of the SMCCC standard secure service calls (32- and 64-bit). */
    static boolean owns(int fid) {
        return (fid & ~0x4000001F) == 0x84000000;
    }

    static VcpuExit call(Vcpu v, int fid) {
        long[] x = v.cpu.x;
        switch (fid) {
            case VERSION -> x[0] = VERSION_1_1;
            case FEATURES -> x[0] = supported((int) x[1]) ? SUCCESS : NOT_SUPPORTED;
            case CPU_SUSPEND, CPU_SUSPEND64 -> {
                x[0] = SUCCESS;
                return v.waitForInterrupt();
            }
            case CPU_OFF -> {
                synchronized (v.powerLock()) {
                    v.power = Vcpu.OFF;
                }
                // Only a running vCPU can power one on: with the last one off the machine can never run again.
                if (v.vm().everyVcpuOff()) return new VcpuExit.SystemEvent(VcpuExit.SystemEvent.Type.ALL_CPUS_OFF);
            }
            case CPU_ON, CPU_ON64 -> x[0] = cpuOn(v, x[1], x[2], x[3]);
            case AFFINITY_INFO, AFFINITY_INFO64 -> x[0] = affinityInfo(v, x[1], x[2]);
            case MIGRATE_INFO_TYPE -> x[0] = TOS_NOT_PRESENT;
            case SYSTEM_OFF -> { return new VcpuExit.SystemEvent(VcpuExit.SystemEvent.Type.SHUTDOWN); }
            case SYSTEM_RESET -> { return new VcpuExit.SystemEvent(VcpuExit.SystemEvent.Type.RESET); }
            case SYSTEM_RESET2, SYSTEM_RESET2_64 -> {
                // Only returns on failure: an unknown type is INVALID_PARAMETERS (DEN 0022 5.20).
                long type = fid == SYSTEM_RESET2 ? x[1] & 0xffffffffL : x[1];
                if (type == SYSTEM_WARM_RESET) return new VcpuExit.SystemEvent(VcpuExit.SystemEvent.Type.WARM_RESET);
                x[0] = INVALID_PARAMETERS;
            }
            default -> x[0] = NOT_SUPPORTED;
        }
        return null;
    }

    private static boolean supported(int fid) {
        return switch (fid) {
            case VERSION, FEATURES, CPU_SUSPEND, CPU_SUSPEND64, CPU_OFF, CPU_ON, CPU_ON64, AFFINITY_INFO,
                    AFFINITY_INFO64, MIGRATE_INFO_TYPE, SYSTEM_OFF, SYSTEM_RESET, SYSTEM_RESET2, SYSTEM_RESET2_64 -> true;
            default -> false;
        };
    }

    /** Powers the target on exactly once: racing callers serialize on its lock, the losers see ALREADY_ON. */
    private static long cpuOn(Vcpu caller, long targetMpidr, long entry, long context) {
        Vcpu t = caller.vm().vcpuByMpidr(targetMpidr);
        if (t == null) return INVALID_PARAMETERS;
        synchronized (t.powerLock()) {
            if (t.power == Vcpu.ON) return ALREADY_ON;
            t.power = Vcpu.ON;
            t.powerOnPending = true;
            t.entryPoint = entry;
            t.contextId = context;
        }
        t.wake();
        return SUCCESS;
    }

    private static long affinityInfo(Vcpu caller, long targetMpidr, long level) {
        if (level != 0) return INVALID_PARAMETERS;
        Vcpu t = caller.vm().vcpuByMpidr(targetMpidr);
        if (t == null) return INVALID_PARAMETERS;
        synchronized (t.powerLock()) {
            return t.power == Vcpu.ON ? AFFINITY_ON : AFFINITY_OFF;
        }
    }
}
