/**
 * A standalone cgroup library, usable without the rest of sandbox: find out how the host's cgroup
 * hierarchies are laid out ({@link dev.sandbox.cgroups.CgroupHost}).
 */
package dev.sandbox.cgroups;
