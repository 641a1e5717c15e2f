/* Process hygiene: what the JVM leaks into us (signal state, fds) must not reach the command. */
#ifndef SBX_HYGIENE_H
#define SBX_HYGIENE_H

/* Every disposition to SIG_DFL and an empty signal mask. */
void reset_signals(void);
/* Open /dev/null on any of fds 0-2 that is closed, so no later fd of ours can land there. */
void ensure_stdio_open(void);
/* Close every fd >= low. */
void close_fds_from(int low);
/* Mark every fd >= low close-on-exec (fds still needed until exec stay usable). */
void cloexec_fds_from(int low);

#endif
