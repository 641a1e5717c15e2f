/* Frames from the helper to the JVM on the control socket (layouts in protocol.h). */
#ifndef SBX_FRAMES_H
#define SBX_FRAMES_H

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "error.h"

#define SBX_CONTROL_FD 3

int frame_send_started(int fd, pid_t child_pid, pid_t command_pid);
int frame_send_error(int fd, const struct sbx_error *e);
int frame_send_exit(int fd, int wait_status, uint32_t flags, const struct rusage *ru);

/*
 * --describe-frames: reads lines from stdin and writes each one's frame to stdout, encoded by the
 * functions above (the Java decoder's round-trip test, FramesRoundTripTest):
 *   started CHILD COMMAND | error ERRNO STEP-HEX PATH-HEX | exit STATUS FLAGS UTIME_US STIME_US MAXRSS_KIB
 * STEP-HEX and PATH-HEX are the bytes in hex ("-" when empty). 0, or 2 for a malformed line.
 */
int frames_describe(void);

#endif
