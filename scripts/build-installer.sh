#!/usr/bin/env bash
# Builds the Coffer installer: one self-extracting file, coffer_<version>.run, that installs a
# node (see docs/install.md). The version is the workspace version in Cargo.toml.
#
#   scripts/build-installer.sh [--profile release|debug] [--out DIR] [--target-dir DIR] [--no-build]
#
#   --profile     which cargo profile's binaries to package (default: release)
#   --out         where to write the file (default: TARGET_DIR/dist)
#   --target-dir  cargo's target directory (default: $CARGO_TARGET_DIR, else ./target)
#   --no-build    package the binaries already in TARGET_DIR/PROFILE instead of running
#                 `cargo build --workspace --bins` first
#
# The file is packaging/installer.sh (a POSIX sh script) followed by a tar.gz payload:
#
#   coffer_<version>/VERSION
#   coffer_<version>/bin/{coffer,sdkms-cluster,get_csrs,install_certs}
#   coffer_<version>/share/{coffer.service,config.yaml.example}
#   coffer_<version>/share/doc/{install.md,ports.md}
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
profile=release
out=''
target_dir=${CARGO_TARGET_DIR:-}
build=1

fail() {
    echo "build-installer: error: $*" >&2
    exit 1
}
note() { echo "build-installer: $*" >&2; }
trap 'echo "build-installer: error: line $LINENO: \`$BASH_COMMAND\` failed" >&2' ERR

while [ $# -gt 0 ]; do
    case $1 in
        --profile) [ $# -ge 2 ] || fail "--profile needs a value (release or debug)"; profile=$2; shift ;;
        --profile=*) profile=${1#--profile=} ;;
        --out) [ $# -ge 2 ] || fail "--out needs a directory"; out=$2; shift ;;
        --out=*) out=${1#--out=} ;;
        --target-dir) [ $# -ge 2 ] || fail "--target-dir needs a directory"; target_dir=$2; shift ;;
        --target-dir=*) target_dir=${1#--target-dir=} ;;
        --no-build) build=0 ;;
        -h | --help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) fail "unknown argument '$1' (see --help)" ;;
    esac
    shift
done

case $profile in
    release) cargo_profile_flag=--release ;;
    debug | dev) profile=debug; cargo_profile_flag='' ;;
    *) fail "--profile must be release or debug, not '$profile'" ;;
esac
target_dir=${target_dir:-$repo/target}
case $target_dir in /*) ;; *) target_dir=$(pwd)/$target_dir ;; esac
out=${out:-$target_dir/dist}
bins=$target_dir/$profile

# --- inputs that are not built: check them first, so a missing one fails fast.
version=$(awk '
    /^\[/ { section = $0; next }
    section == "[workspace.package]" && /^version[ \t]*=/ {
        sub(/^version[ \t]*=[ \t]*"/, ""); sub(/".*/, ""); print; exit
    }' "$repo/Cargo.toml")
[ -n "$version" ] || fail "no version in the [workspace.package] section of $repo/Cargo.toml"
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]] ||
    fail "the workspace version '$version' in Cargo.toml is not MAJOR.MINOR.PATCH[-PRE][+BUILD]"

config_example=$repo/config.yaml.example
[ -f "$config_example" ] ||
    fail "$config_example is missing: the installer places it in the administrator's home (installation guide 5.3.1); add it to the repository, then run this again"
for file in installer.sh coffer.service; do
    [ -f "$repo/packaging/$file" ] || fail "$repo/packaging/$file is missing"
done
for tool in tar gzip sha256sum awk sed; do
    command -v "$tool" >/dev/null || fail "'$tool' is required to build the installer"
done

# --- binaries
if [ "$build" -eq 1 ]; then
    command -v cargo >/dev/null || fail "cargo is not installed (or use --no-build with binaries already built)"
    note "cargo build ${cargo_profile_flag:+$cargo_profile_flag }--workspace --bins"
    (cd "$repo" && CARGO_TARGET_DIR=$target_dir cargo build $cargo_profile_flag --workspace --bins) ||
        fail "cargo build failed; see the compiler output above"
fi
for name in coffer sdkms-cluster; do
    [ -x "$bins/$name" ] ||
        fail "$bins/$name is missing: build it with 'cargo build ${cargo_profile_flag:+$cargo_profile_flag }--workspace --bins' (or drop --no-build)"
done
reported=$("$bins/coffer" --version 2>&1) || fail "$bins/coffer --version failed: $reported"
[ "$reported" = "coffer $version" ] ||
    fail "$bins/coffer reports '$reported' but Cargo.toml says $version: the binaries are stale, rebuild them"

# --- the payload tree
work=$(mktemp -d "${TMPDIR:-/tmp}/coffer-installer.XXXXXX")
trap 'rm -rf "$work"' EXIT
pkg=$work/coffer_$version
mkdir -p "$pkg/bin" "$pkg/share/doc"
printf '%s\n' "$version" >"$pkg/VERSION"

strip_tool=$(command -v strip || true)
[ -n "$strip_tool" ] || note "strip is not installed: packaging the binaries with their debug information"
for name in coffer sdkms-cluster get_csrs install_certs; do
    if [ ! -x "$bins/$name" ]; then
        note "warning: $bins/$name does not exist yet; the installer will not contain it"
        continue
    fi
    # Debug information only: symbol names stay, so backtraces still name functions.
    if [ -z "$strip_tool" ] || ! "$strip_tool" --strip-debug -o "$pkg/bin/$name" "$bins/$name" 2>/dev/null; then
        [ -z "$strip_tool" ] || note "strip could not process $bins/$name; packaging it as it is"
        cp "$bins/$name" "$pkg/bin/$name"
    fi
    chmod 0755 "$pkg/bin/$name"
    note "packaged bin/$name"
done
install -m 0644 "$repo/packaging/coffer.service" "$pkg/share/coffer.service"
install -m 0644 "$config_example" "$pkg/share/config.yaml.example"
for doc in install.md ports.md; do
    if [ -f "$repo/docs/$doc" ]; then
        install -m 0644 "$repo/docs/$doc" "$pkg/share/doc/$doc"
    fi
done

# Same inputs, same archive: fixed order, owner and (with SOURCE_DATE_EPOCH) time.
mtime=${SOURCE_DATE_EPOCH:-$(date +%s)}
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
    -C "$work" -cf - "coffer_$version" | gzip -n -6 >"$work/payload.tar.gz" ||
    fail "creating the payload archive failed"
payload_sha256=$(sha256sum "$work/payload.tar.gz" | cut -d' ' -f1)

# --- the header: the payload starts on the line after the marker line.
header_lines=$(wc -l <"$repo/packaging/installer.sh")
tail -n 1 "$repo/packaging/installer.sh" | grep -qx '__COFFER_PAYLOAD_BELOW__' ||
    fail "packaging/installer.sh must end with the line __COFFER_PAYLOAD_BELOW__"
sed -e "s/@VERSION@/$version/g" \
    -e "s/@PAYLOAD_LINE@/$((header_lines + 1))/g" \
    -e "s/@PAYLOAD_SHA256@/$payload_sha256/g" \
    "$repo/packaging/installer.sh" >"$work/header.sh"
[ "$(wc -l <"$work/header.sh")" -eq "$header_lines" ] || fail "substituting the header changed its line count"

mkdir -p "$out" || fail "cannot create the output directory $out"
artifact=$out/coffer_$version.run
cat "$work/header.sh" "$work/payload.tar.gz" >"$artifact.tmp.$$"
chmod 0755 "$artifact.tmp.$$"
mv -f "$artifact.tmp.$$" "$artifact"
(cd "$out" && sha256sum "coffer_$version.run" >"coffer_$version.run.sha256")
note "wrote $artifact ($(du -h "$artifact" | cut -f1)) and $artifact.sha256"
echo "$artifact"
