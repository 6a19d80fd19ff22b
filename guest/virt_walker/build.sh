#!/usr/bin/env bash
# Builds virt_walker.ko for the kernel of jvisor's default guest: Debian's arm64 kernel that the
# linux-image-arm64 metapackage names (the newest linux-image-<abi>-arm64), against Debian's own headers:
#   linux-headers-<abi>-arm64:arm64   the arm64 configuration, generated headers, Module.symvers
#   linux-headers-<abi>-common        the kernel's include/ and arch/ trees (architecture-independent)
#   linux-kbuild-<x.y>:<host arch>    kbuild's host programs (fixdep, modpost), which must run here
# The .debs come from apt-get download (apt checks their signatures) and are cached, with the unpacked
# tree and the module, under ${XDG_CACHE_HOME:-~/.cache}/jvisor; the module is cross-compiled with
# aarch64-linux-gnu-gcc and its vermagic checked against the kernel release.
#
# usage: build.sh [OUTDIR]   (default: guest/virt_walker/out); prints "module: <.ko>", "vermagic=..." and
# "headers: <the kernel headers' directory>".
# KERNEL_ABI=6.1.0-56 picks another kernel; JVISOR_CACHE replaces the cache directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/out}
cache=${JVISOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jvisor}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
flavour=arm64
host_arch=$(dpkg --print-architecture)

die() { echo "build.sh: $*" >&2; exit 1; }
for c in apt-cache apt-get dpkg-deb make aarch64-linux-gnu-gcc; do
    command -v "$c" >/dev/null || die "'$c' is not installed (bash .ci/deps installs what jvisor needs)"
done

# The kernel ABI, as the default guest chooses its kernel.
if [ -z "${KERNEL_ABI:-}" ]; then
    image=$(apt-cache depends "linux-image-$flavour:arm64" 2>/dev/null \
        | sed -n 's/^ *|\{0,1\}Depends: *\(linux-image-[^ :<>]*\).*/\1/p' | sort -V | tail -n 1)
    [ -n "$image" ] || die "apt knows no linux-image-$flavour:arm64 (bash .ci/deps enables arm64 packages)"
    KERNEL_ABI=${image#linux-image-}
    KERNEL_ABI=${KERNEL_ABI%-$flavour}
fi
headers=linux-headers-$KERNEL_ABI-$flavour
deps=$(apt-cache depends "$headers:arm64" 2>/dev/null) || die "apt knows no $headers:arm64"
common=$(grep -o "linux-headers-[^ :<>]*-common" <<<"$deps" | head -n 1)
kbuild=$(grep -o "linux-kbuild-[^ :<>]*" <<<"$deps" | head -n 1)
[ -n "$common" ] && [ -n "$kbuild" ] || die "cannot tell the common headers and kbuild packages of $headers from: $deps"

# The candidate versions, in one apt-cache call (each costs seconds on a busy machine).
policy=$(apt-cache policy "$headers:arm64" "$common" "$kbuild:$host_arch")
candidate() { # apt-cache names native and arch-all packages without their architecture
    awk -v a="$1:" -v b="${1%%:*}:" '$0 == a || $0 == b { f = 1; next } /^[^ ]/ { f = 0 }
        f && $1 == "Candidate:" { print $2; exit }' <<<"$policy"
}

# Each package once into the cache, as <name>_<version>_<arch>.deb.
mkdir -p "$cache/debs"
fetch() { # spec=name:arch -> path of the .deb
    local spec=$1 name=${1%%:*} ver arch file tmp
    ver=$(candidate "$spec")
    [ -n "$ver" ] && [ "$ver" != "(none)" ] || die "apt has no candidate for $spec"
    arch=${spec#*:}
    [ "$arch" = "$spec" ] && arch=all
    file=$cache/debs/${name}_${ver//:/%3a}_$arch.deb
    if [ ! -s "$file" ]; then
        # apt downloads as its unprivileged _apt user, who may not reach the cache (under a private
        # home): into the system's temporary directory first.
        tmp=$(mktemp -d)
        chmod 777 "$tmp"
        (cd "$tmp" && apt-get download -q "$spec=$ver" >&2) || { rm -rf "$tmp"; die "apt-get download $spec=$ver failed"; }
        cp "$tmp"/*.deb "$file.part$$" && mv "$file.part$$" "$file"
        rm -rf "$tmp"
    fi
    echo "$file"
}
deb_headers=$(fetch "$headers:arm64")
deb_common=$(fetch "$common")
deb_kbuild=$(fetch "$kbuild:$host_arch")

# Unpacked once per set of packages; a tree appears by one rename, complete (other builds may share the
# cache at the same time: the first rename wins, the others drop their copy).
key=$(basename "$deb_headers" .deb)+$(basename "$deb_kbuild" .deb)
root=$cache/kheaders/$key
if [ ! -e "$root/.complete" ]; then
    mkdir -p "$cache/kheaders"
    tmp=$(mktemp -d "$cache/kheaders/.tmp-XXXXXX")
    for d in "$deb_headers" "$deb_common" "$deb_kbuild"; do dpkg-deb -x "$d" "$tmp"; done
    # The packages expect to live in /: their Makefile includes the common tree by absolute path and a
    # few symbolic links are absolute; point them into this tree instead.
    sed -i "s|^include /usr/src/|include $root/usr/src/|" "$tmp/usr/src/$headers/Makefile"
    find "$tmp" -type l -lname '/*' | while read -r link; do
        ln -sfn "$root$(readlink "$link")" "$link"
    done
    touch "$tmp/.complete"
    mv -T "$tmp" "$root" 2>/dev/null || rm -rf "$tmp"
fi
kdir=$root/usr/src/$headers
release=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h")

# Built once per sources (this script included) and headers; out of the source tree, so that the
# repository holds sources only.
sources=$(cat "$here/virt_walker.c" "$here/Kbuild" "$0" | sha256sum | cut -c1-16)
built=$cache/virt_walker/$sources+$key/virt_walker.ko
if [ ! -s "$built" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    cp "$here/virt_walker.c" "$here/Kbuild" "$work/"
    make -s -C "$kdir" M="$work" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- modules >&2
    mkdir -p "$(dirname "$built")"
    cp "$work/virt_walker.ko" "$built.part$$" && mv "$built.part$$" "$built"
fi
vermagic=$(grep -a -o 'vermagic=[[:print:]]*' "$built" | head -n 1)
case "$vermagic" in
    "vermagic=$release "*) ;;
    *) die "virt_walker.ko has $vermagic, the kernel is $release" ;;
esac
mkdir -p "$out"
cp "$built" "$out/virt_walker.ko"
echo "module: $out/virt_walker.ko"
echo "$vermagic"
echo "headers: $kdir"
