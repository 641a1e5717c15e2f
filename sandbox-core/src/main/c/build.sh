#!/bin/sh
# Builds sandbox-helper with the system C compiler; called by the Maven build (sandbox-core/pom.xml).
# Usage: build.sh OUTROOT OBJDIR   -> OUTROOT/linux-<arch>/sandbox-helper
# Environment: CC (default musl-gcc if installed, else cc), CFLAGS (added to the required flags),
# SBX_LIBC=glibc (use cc even where musl-gcc is installed), SBX_ARCH (the target of a cross CC).
# Plain sh, no make: a fresh machine may have a compiler and nothing else.
set -eu
cd "$(dirname "$0")"
outroot=${1:?usage: build.sh OUTROOT OBJDIR}
objdir=${2:?usage: build.sh OUTROOT OBJDIR}
cc=${CC:-cc}
extra=
# The C library. Where musl-gcc is installed (Debian: musl-tools) and neither CC nor SBX_ARCH is set,
# the helper links musl: glibc's static start-up sizes the caches with a hundred-odd CPUID
# instructions, each a VM exit under a hypervisor (0.55 ms of CPU per helper start in this project's
# Firecracker VM, once per sandbox), while musl's runs none (0.04 ms). SBX_LIBC=glibc keeps cc.
if [ -z "${CC:-}" ] && [ -z "${SBX_ARCH:-}" ] && [ "${SBX_LIBC:-}" != glibc ] && command -v musl-gcc >/dev/null 2>&1; then
    cc=musl-gcc
    # musl-gcc searches musl's headers only: add the kernel's (linux-libc-dev) linux/, asm/, asm-generic/.
    triplet=$(gcc -dumpmachine 2>/dev/null || echo "$(uname -m)-linux-gnu")
    if [ -d /usr/include/linux ] && [ -d "/usr/include/$triplet/asm" ] && [ -d /usr/include/asm-generic ]; then
        mkdir -p "$objdir/kernel-include"
        ln -sfn /usr/include/linux "$objdir/kernel-include/linux"
        ln -sfn "/usr/include/$triplet/asm" "$objdir/kernel-include/asm"
        ln -sfn /usr/include/asm-generic "$objdir/kernel-include/asm-generic"
        extra="-isystem $objdir/kernel-include"
    else
        cc=${CC:-cc}
        echo "sandbox-helper: musl-gcc found but no kernel headers (linux-libc-dev): using $cc" >&2
    fi
fi
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "sandbox-helper: no C compiler found (looked for '$cc'); install one, e.g. apt-get install gcc libc6-dev" >&2
    exit 1
fi
arch=${SBX_ARCH:-$(uname -m)}  # SBX_ARCH: the target when CC cross-compiles
out="$outroot/linux-$arch/sandbox-helper"
mkdir -p "$outroot/linux-$arch" "$objdir"

required="-std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -fno-omit-frame-pointer"
# Rebuild only when a source, a header or this script is newer than the binary.
if [ -f "$out" ] && [ -z "$(find . -newer "$out" \( -name '*.c' -o -name '*.h' -o -name build.sh \) | head -n 1)" ]; then
    exit 0
fi
# Link statically where the toolchain has a static libc: no runtime dependency on the host's libc.
static=-static
if ! printf 'int main(void){return 0;}\n' | "$cc" $extra -x c - -static -o "$objdir/static-probe" >/dev/null 2>&1; then
    static=
    echo "sandbox-helper: static linking unavailable (no libc.a?), linking dynamically" >&2
fi
rm -f "$objdir/static-probe"
echo "sandbox-helper: $cc -> $out${static:+ (static)}"
# shellcheck disable=SC2086
"$cc" $required $extra -O2 ${CFLAGS:-} -s $static -o "$out.tmp" ./*.c
mv "$out.tmp" "$out"
