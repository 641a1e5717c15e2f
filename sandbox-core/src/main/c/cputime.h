/* The sandbox's CPU time, read by the monitor from its cgroup's accounting (SBX_T_CPU_LIMIT). */
#ifndef SBX_CPUTIME_H
#define SBX_CPUTIME_H

#include <stdint.h>

/*
 * The group's CPU time so far, in nanoseconds, from the usage file the JVM passed (pread at 0):
 * v1 cpuacct.usage (one number, ns) or v2 cpu.stat (its "usage_usec N" line). Both count every
 * process of the group and its leaf, including those that have exited. 0, or -1 with errno
 * (EINVAL: neither format).
 */
int cputime_read(int fd, uint64_t *ns);

/*
 * How many CPUs the sandbox can run on at once, an upper bound on how fast its usage grows: the
 * online CPUs. Not the helper's affinity: without a cpuset the command may widen its own.
 */
int cputime_cpus(void);

/* Milliseconds until the next read: the soonest the usage could reach the limit, at least a few ms. */
int64_t cputime_next_check_ms(uint64_t used_ns, uint64_t limit_ns, int cpus);

#endif
