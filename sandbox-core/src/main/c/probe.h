/* --probe: which namespace types this host lets us create. */
#ifndef SBX_PROBE_H
#define SBX_PROBE_H

/* Prints "<name> 0" or "<name> <errno>" per type; returns the exit code (0). */
int probe_main(void);

#endif
