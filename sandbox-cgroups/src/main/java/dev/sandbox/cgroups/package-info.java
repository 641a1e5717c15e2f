/**
 * A standalone cgroup library, usable without the rest of sandbox.
 *
 * <ul>
 * <li>{@link dev.sandbox.cgroups.CgroupHost}: how this host's hierarchies are laid out (v1, v2, hybrid, none);
 * <li>{@link dev.sandbox.cgroups.Cgroups}: the factory — {@code detect()} once, then {@code create(limits)};
 * <li>{@link dev.sandbox.cgroups.Limits}: memory, CPU, cpuset, pids and block I/O limits, validated;
 * <li>{@link dev.sandbox.cgroups.Cgroup}: one sandbox's group — place processes, measure
 *     ({@link dev.sandbox.cgroups.Usage}), freeze, kill all, remove;
 * <li>{@link dev.sandbox.cgroups.CgroupException}: what the kernel refused, with file, errno and what to do.
 * </ul>
 *
 * <pre>{@code
 * Cgroups cgroups = Cgroups.detect();
 * try (Cgroup g = cgroups.create(Limits.builder().memoryMax(64L << 20).cpus(0.5).pidsMax(32).build())) {
 *     g.addProcess(pid);
 *     ...
 *     Usage u = g.usage();
 * }
 * }</pre>
 *
 * <p>Everything under {@code dev.sandbox.cgroups.internal} is implementation, not API.
 */
package dev.sandbox.cgroups;
