#!/bin/sh
# Builds sandbox-helper with the system C compiler; called by the Maven build (sandbox-core/pom.xml).
# Usage: build.sh OUTROOT OBJDIR   -> OUTROOT/linux-<arch>/sandbox-helper
# Environment: CC (default cc), CFLAGS (added to the required flags).
# Plain sh, no make: a fresh machine may have a compiler and nothing else.
set -eu
cd "$(dirname "$0")"
outroot=${1:?usage: build.sh OUTROOT OBJDIR}
objdir=${2:?usage: build.sh OUTROOT OBJDIR}
cc=${CC:-cc}
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
if ! printf 'int main(void){return 0;}\n' | "$cc" -x c - -static -o "$objdir/static-probe" >/dev/null 2>&1; then
    static=
    echo "sandbox-helper: static linking unavailable (no libc.a?), linking dynamically" >&2
fi
rm -f "$objdir/static-probe"
echo "sandbox-helper: $cc -> $out${static:+ (static)}"
# shellcheck disable=SC2086
"$cc" $required -O2 ${CFLAGS:-} -s $static -o "$out.tmp" ./*.c
mv "$out.tmp" "$out"
