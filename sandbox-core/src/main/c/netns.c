#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"

static int premade = -1; /* the namespace made ahead */
static int home = -1;    /* ours, to come back to */

int netns_loopback_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return fail_errno("loopback", "lo");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int saved = errno;
    close(s);
    if (rc < 0)
        return fail("loopback", saved, "lo");
    return 0;
}

static void close_both(void)
{
    if (premade >= 0)
        close(premade);
    if (home >= 0)
        close(home);
    premade = home = -1;
}

int netns_premake(void)
{
    if (geteuid() != 0)
        return 0; /* an unprivileged helper could not come back from a namespace it made */
    if ((home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    if (unshare(CLONE_NEWNET) < 0) {
        close_both();
        return 0;
    }
    /* In the new namespace now: bring lo up and keep a handle, then go home whatever happened. */
    int up = netns_loopback_up();
    premade = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (setns(home, CLONE_NEWNET) < 0) {
        fail_errno("setns", "/proc/self/ns/net");
        close_both();
        return -1;
    }
    if (up < 0 || premade < 0)
        close_both();
    return 0;
}

int netns_premade(void)
{
    return premade >= 0;
}

void netns_discard(void)
{
    close_both();
}

int netns_enter_premade(void)
{
    if (setns(premade, CLONE_NEWNET) < 0) {
        fail_errno("setns", "premade network namespace");
        close_both();
        return -1;
    }
    return 0;
}

int netns_leave_premade(void)
{
    int rc = setns(home, CLONE_NEWNET);
    if (rc < 0)
        fail_errno("setns", "/proc/self/ns/net");
    close_both();
    return rc;
}
