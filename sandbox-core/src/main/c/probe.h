/* --probe [DIR]: what this host lets a sandbox do. */
#ifndef SBX_PROBE_H
#define SBX_PROBE_H

/*
 * Prints "<name> <errno>" per namespace type (0: it can be created), "seccomp <errno>" (a filter
 * under no_new_privs), "seccomp_flags ..." and "seccomp_actions ..." (what the kernel knows),
 * "landlock <abi or -errno>" and "idmap <errno>" (a bind of idmap_dir idmapped, as root);
 * returns the exit code (0).
 */
int probe_main(const char *idmap_dir);

#endif
