#!/bin/sh
# Coffer @VERSION@: self-extracting installer.
# shellcheck disable=SC2015,SC2317
# (SC2015: `a && b || die` is meant to die when either fails; SC2317: cleanup runs from a trap.)
#
# This file is a POSIX shell script followed by a gzip-compressed tar archive (the payload).
# scripts/build-installer.sh writes it from packaging/installer.sh; the script part never reads
# past its own `exit`, so the binary payload after the marker line is never parsed as shell.
#
#   sudo ./coffer_@VERSION@.run                      install, or upgrade in place
#   sudo ./coffer_@VERSION@.run --uninstall          remove the software, keep data and secret
#   sudo ./coffer_@VERSION@.run --uninstall --purge  also delete data, platform secret, examples
#   ./coffer_@VERSION@.run --root DIR                install into DIR (image builds, tests)
#   ./coffer_@VERSION@.run --help | --version | --extract DIR
#
# Every step says what it does; a failure names the step, the command and its error.

set -eu
umask 022

COFFER_VERSION='@VERSION@'
PAYLOAD_LINE=@PAYLOAD_LINE@
PAYLOAD_SHA256='@PAYLOAD_SHA256@'

# The operator commands a release may ship; each present in the payload gets a link in
# /usr/local/bin. coffer and sdkms-cluster are always there.
COMMANDS='coffer sdkms-cluster get_csrs install_certs'
# The platform secret's length in bytes (the daemon refuses any other length).
SECRET_LEN=32

PROG=${0##*/}
STEP='reading the arguments'
STAGING=''
LOCK_DIR=''
# Set once the machine may have been changed.
CHANGING=0

say() { printf '%s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 1
}
step() {
    STEP=$1
    say "==> $1"
}

cleanup() {
    rc=$?
    trap - EXIT INT TERM HUP
    if [ -n "$STAGING" ] && [ -d "$STAGING" ]; then
        rm -rf "$STAGING" || warn "could not remove the staging directory $STAGING"
    fi
    if [ -n "$LOCK_DIR" ] && [ -d "$LOCK_DIR" ]; then
        rm -rf "$LOCK_DIR" || warn "could not remove the lock $LOCK_DIR"
    fi
    if [ "$rc" -ne 0 ]; then
        printf '%s: failed while %s (exit status %s); the message above says why.\n' \
            "$PROG" "$STEP" "$rc" >&2
        if [ "$CHANGING" -eq 1 ]; then
            printf '%s: nothing after that step was done; fix the cause and run the same command again (it is safe to repeat).\n' \
                "$PROG" >&2
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'STEP="$STEP (interrupted)"; exit 130' INT
trap 'STEP="$STEP (terminated)"; exit 143' TERM HUP

usage() {
    cat <<USAGE
Coffer $COFFER_VERSION installer

Usage:
  sudo ./$PROG
      Install Coffer $COFFER_VERSION, or upgrade in place. Data, platform secret and
      configuration are kept, and the service is (re)started.
  sudo ./$PROG --uninstall
      Remove the software; keep /var/lib/coffer, /etc/coffer and ~/config.yaml.example.
  sudo ./$PROG --uninstall --purge [--yes]
      Also delete them. Deleting /etc/coffer/platform.secret loses every key on this node.
      From a terminal you are asked to type "purge"; --yes skips the question.
  ./$PROG --root DIR [--uninstall [--purge]]
      Work inside DIR instead of / (image builds, tests): no root needed, no systemctl
      calls; the service is enabled for the tree's first boot.
  ./$PROG --extract DIR
      Only unpack the payload into DIR.
  ./$PROG --version | --help

Options:
  --allow-downgrade   install even when a newer version is installed

Installs:
  /opt/coffer/<version>/bin/          the binaries; /opt/coffer/current points to the active version
  /usr/local/bin/                     coffer, sdkms-cluster, get_csrs, install_certs (links)
  /etc/systemd/system/coffer.service  the service
  /var/lib/coffer/                    the node's data (0700)
  /etc/coffer/platform.secret         the node's platform secret (0600): created once, never replaced
  ~/config.yaml.example               the configuration template (under sudo: the invoking user's home)
USAGE
}

# ---------------------------------------------------------------------------------------------
# Arguments

ACTION=install
ROOT_ARG=''
ROOTED=0
PURGE=0
ASSUME_YES=0
ALLOW_DOWNGRADE=0
EXTRACT_DIR=''

while [ $# -gt 0 ]; do
    case $1 in
        --help | -h) usage; exit 0 ;;
        --version) say "coffer $COFFER_VERSION"; exit 0 ;;
        --uninstall) ACTION=uninstall ;;
        --purge) PURGE=1 ;;
        --yes | -y) ASSUME_YES=1 ;;
        --allow-downgrade) ALLOW_DOWNGRADE=1 ;;
        --root)
            [ $# -ge 2 ] || die "--root needs a directory: --root DIR"
            ROOT_ARG=$2; ROOTED=1; shift ;;
        --root=*) ROOT_ARG=${1#--root=}; ROOTED=1 ;;
        --extract)
            [ $# -ge 2 ] || die "--extract needs a directory: --extract DIR"
            ACTION=extract; EXTRACT_DIR=$2; shift ;;
        --extract=*) ACTION=extract; EXTRACT_DIR=${1#--extract=} ;;
        *) die "unknown argument '$1' (see $PROG --help)" ;;
    esac
    shift
done

[ "$PURGE" -eq 0 ] || [ "$ACTION" = uninstall ] || die "--purge only goes with --uninstall"

# Absolute path of this file, so that changing directory later does not lose it.
case $0 in
    */*) SELF_DIR=$(cd "${0%/*}" && pwd) || die "cannot find the directory of $0" ;;
    *) SELF_DIR=$(pwd) ;;
esac
SELF="$SELF_DIR/$PROG"
[ -f "$SELF" ] || die "cannot read the installer itself at $SELF; run it by its path (./$PROG)"

# ---------------------------------------------------------------------------------------------
# Payload

require_tools() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required but not installed; install it and run again"
    done
}

verify_payload() {
    STEP='checking the installer file'
    if command -v sha256sum >/dev/null 2>&1; then
        actual=$(tail -n +"$PAYLOAD_LINE" "$SELF" | sha256sum | cut -d' ' -f1) ||
            die "could not read the payload of $SELF"
        [ "$actual" = "$PAYLOAD_SHA256" ] ||
            die "$SELF is damaged or incomplete (payload SHA-256 $actual, expected $PAYLOAD_SHA256); copy it again"
    else
        warn "sha256sum is not installed: the payload's checksum is not verified"
    fi
}

# extract_to DIR: unpack the payload into DIR, which must exist.
extract_to() {
    tail -n +"$PAYLOAD_LINE" "$SELF" | tar -xzf - -o -C "$1" ||
        die "unpacking the payload into $1 failed (see the tar message above; is the disk full?)"
}

# ---------------------------------------------------------------------------------------------
# Paths

if [ "$ROOTED" -eq 1 ] && [ "$ACTION" != extract ]; then
    [ -n "$ROOT_ARG" ] || die "--root needs a directory"
    if [ ! -e "$ROOT_ARG" ]; then
        [ "$ACTION" = install ] || die "--root $ROOT_ARG does not exist: nothing is installed there"
        mkdir -p "$ROOT_ARG" || die "cannot create the root directory $ROOT_ARG"
    fi
    [ -d "$ROOT_ARG" ] || die "--root $ROOT_ARG is not a directory"
    R=$(cd "$ROOT_ARG" && pwd) || die "cannot enter the root directory $ROOT_ARG"
    [ "$R" != / ] || R=''
else
    R=''
fi

OPT="$R/opt/coffer"
BIN_DIR="$R/usr/local/bin"
UNIT_DIR="$R/etc/systemd/system"
UNIT="$UNIT_DIR/coffer.service"
WANTS_LINK="$UNIT_DIR/multi-user.target.wants/coffer.service"
DATA_DIR="$R/var/lib/coffer"
ETC_DIR="$R/etc/coffer"
SECRET="$ETC_DIR/platform.secret"
# What a link in /usr/local/bin points to: relative, so that it is right both on the installed
# system and inside a --root tree.
LINK_PREFIX='../../../opt/coffer/current/bin'

# The home directory of the administrator who runs the installer: the user who called sudo,
# else $HOME. Under --root, the same path inside the root.
admin_user() {
    if [ -n "${SUDO_USER:-}" ]; then say "$SUDO_USER"; else id -un 2>/dev/null || say root; fi
}
admin_home() {
    if [ -n "${SUDO_USER:-}" ]; then
        home=''
        if command -v getent >/dev/null 2>&1; then
            home=$(getent passwd "$SUDO_USER" | cut -d: -f6) || home=''
        fi
        if [ -z "$home" ] && [ -r /etc/passwd ]; then
            home=$(awk -F: -v u="$SUDO_USER" '$1 == u { print $6; exit }' /etc/passwd)
        fi
        [ -n "$home" ] || die "cannot find the home directory of SUDO_USER=$SUDO_USER"
        say "$home"
    else
        [ -n "${HOME:-}" ] || die "HOME is not set; cannot place config.yaml.example"
        say "$HOME"
    fi
}

# ---------------------------------------------------------------------------------------------
# Small functions used by the steps below

# version_cmp A B: prints -1, 0 or 1. Numeric dot-separated release parts; a pre-release
# (1.2.0-rc.1) sorts before its release; build metadata (+...) is ignored.
version_cmp() {
    awk -v a="$1" -v b="$2" '
        function main(v) { sub(/\+.*/, "", v); sub(/-.*/, "", v); return v }
        function pre(v) { sub(/\+.*/, "", v); if (index(v, "-") == 0) return ""; sub(/^[^-]*-/, "", v); return v }
        BEGIN {
            na = split(main(a), x, "."); nb = split(main(b), y, ".")
            n = na > nb ? na : nb
            for (i = 1; i <= n; i++) {
                if ((x[i] + 0) < (y[i] + 0)) { print -1; exit }
                if ((x[i] + 0) > (y[i] + 0)) { print 1; exit }
            }
            pa = pre(a); pb = pre(b)
            if (pa == pb) { print 0; exit }
            if (pa == "") { print 1; exit }
            if (pb == "") { print -1; exit }
            print (pa < pb) ? -1 : 1
        }'
}

# The version /opt/coffer/current points to, or nothing.
installed_version() {
    if [ -L "$OPT/current" ]; then
        target=$(readlink "$OPT/current") || return 0
        say "${target##*/}"
    fi
}

# is_ours PATH: PATH is a link into /opt/coffer (made by this installer, any version).
is_ours() {
    [ -L "$1" ] || return 1
    case $(readlink "$1") in
        */opt/coffer/*) return 0 ;;
        *) return 1 ;;
    esac
}

# replace_link TARGET LINK: point LINK at TARGET, switching in one rename where possible.
replace_link() {
    tmp_link="$2.new.$$"
    rm -f "$tmp_link"
    ln -s "$1" "$tmp_link" || die "cannot create the link $tmp_link"
    if ! mv -Tf "$tmp_link" "$2" 2>/dev/null; then
        # mv without -T: remove the old link first, or mv would move into the directory.
        rm -f "$2" || die "cannot remove the old link $2"
        mv -f "$tmp_link" "$2" || die "cannot rename $tmp_link to $2"
    fi
}

systemd_running() {
    [ "$ROOTED" -eq 0 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}

file_size() { wc -c <"$1" | tr -d ' '; }

file_mode() {
    stat -c '%a' "$1" 2>/dev/null || say unknown
}

take_lock() {
    mkdir -p "$OPT" || die "cannot create $OPT"
    if ! mkdir "$OPT/.lock" 2>/dev/null; then
        pid=$(cat "$OPT/.lock/pid" 2>/dev/null || true)
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            die "another Coffer installer (process $pid) is running; wait for it to finish"
        fi
        warn "removing a stale lock left by an installer that did not finish (process ${pid:-unknown})"
        rm -rf "$OPT/.lock" && mkdir "$OPT/.lock" || die "cannot take the lock $OPT/.lock"
    fi
    LOCK_DIR="$OPT/.lock"
    say "$$" >"$LOCK_DIR/pid"
}

check_privileges() {
    if [ "$ROOTED" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
        die "changing the system needs root: run 'sudo ./$PROG' (or use --root DIR for a scratch tree)"
    fi
}

# ---------------------------------------------------------------------------------------------
# Install

install_software() {
    step "checking the installer file and this machine"
    check_privileges
    require_tools tar gzip tail mkdir ln mv rm cp chmod awk cmp dd
    verify_payload
    CHANGING=1
    take_lock
    # Left behind by an installer that was killed (the lock says none is running now).
    rm -rf "$OPT"/.staging.* "$OPT"/.old.* || die "cannot remove leftovers of an earlier run in $OPT"

    previous=$(installed_version)
    if [ -n "$previous" ]; then
        order=$(version_cmp "$COFFER_VERSION" "$previous")
        if [ "$order" = -1 ] && [ "$ALLOW_DOWNGRADE" -eq 0 ]; then
            die "Coffer $previous is installed, which is newer than $COFFER_VERSION; a downgrade may not read the newer data format. Run with --allow-downgrade to install $COFFER_VERSION anyway"
        fi
        if [ "$order" = 0 ]; then
            say "    Coffer $previous is installed: reinstalling it"
        else
            say "    Coffer $previous is installed: switching to $COFFER_VERSION (data, platform secret and configuration are kept)"
        fi
    fi

    step "unpacking Coffer $COFFER_VERSION"
    STAGING="$OPT/.staging.$$"
    rm -rf "$STAGING"
    mkdir -p "$STAGING" || die "cannot create $STAGING"
    extract_to "$STAGING"
    pkg="$STAGING/coffer_$COFFER_VERSION"
    [ -x "$pkg/bin/coffer" ] && [ -x "$pkg/bin/sdkms-cluster" ] ||
        die "the payload lacks bin/coffer or bin/sdkms-cluster; the installer file is broken, build it again"
    [ "$(cat "$pkg/VERSION" 2>/dev/null)" = "$COFFER_VERSION" ] ||
        die "the payload is not version $COFFER_VERSION; the installer file is broken, build it again"

    step "installing the binaries into /opt/coffer/$COFFER_VERSION"
    dest="$OPT/$COFFER_VERSION"
    if [ -e "$dest" ]; then
        rm -rf "$OPT/.old.$$"
        mv "$dest" "$OPT/.old.$$" || die "cannot move the existing $dest aside"
        mv "$pkg" "$dest" || {
            mv "$OPT/.old.$$" "$dest"
            die "cannot move the new files into $dest"
        }
        rm -rf "$OPT/.old.$$" || warn "could not remove $OPT/.old.$$"
    else
        mv "$pkg" "$dest" || die "cannot move the new files into $dest"
    fi
    replace_link "$COFFER_VERSION" "$OPT/current"
    say "    /opt/coffer/current -> $COFFER_VERSION"

    step "linking the commands into /usr/local/bin"
    mkdir -p "$BIN_DIR" || die "cannot create $BIN_DIR"
    for name in $COMMANDS; do
        link="$BIN_DIR/$name"
        if [ -e "$dest/bin/$name" ]; then
            if [ -e "$link" ] || [ -L "$link" ]; then
                is_ours "$link" ||
                    die "$link exists and was not installed by Coffer; move it away and run again"
            fi
            replace_link "$LINK_PREFIX/$name" "$link"
            say "    /usr/local/bin/$name"
        elif is_ours "$link"; then
            rm -f "$link" || die "cannot remove $link"
            say "    /usr/local/bin/$name removed (not part of $COFFER_VERSION)"
        fi
    done

    step "installing the service unit"
    mkdir -p "$UNIT_DIR" || die "cannot create $UNIT_DIR"
    unit_changed=1
    if [ -f "$UNIT" ] && cmp -s "$dest/share/coffer.service" "$UNIT"; then
        unit_changed=0
    fi
    if [ "$unit_changed" -eq 1 ]; then
        cp "$dest/share/coffer.service" "$UNIT.new.$$" &&
            chmod 0644 "$UNIT.new.$$" &&
            mv -f "$UNIT.new.$$" "$UNIT" || die "cannot write $UNIT"
        say "    /etc/systemd/system/coffer.service"
    else
        say "    /etc/systemd/system/coffer.service is up to date"
    fi

    step "creating the data and configuration directories"
    for dir in "$DATA_DIR" "$ETC_DIR"; do
        mkdir -p "$dir" || die "cannot create $dir"
        chmod 0700 "$dir" || die "cannot make $dir private (chmod 0700)"
    done
    say "    /var/lib/coffer (0700), /etc/coffer (0700)"

    install_platform_secret
    install_config_example "$dest/share/config.yaml.example"

    step "removing versions older than the previous one"
    for old in "$OPT"/*; do
        [ -d "$old" ] && [ ! -L "$old" ] || continue
        version=${old##*/}
        [ "$version" = "$COFFER_VERSION" ] && continue
        [ "$version" = "$previous" ] && continue
        rm -rf "$old" || warn "could not remove $old"
        say "    removed /opt/coffer/$version"
    done
    [ -z "$previous" ] || [ "$previous" = "$COFFER_VERSION" ] ||
        say "    kept /opt/coffer/$previous for a rollback"

    start_service "$unit_changed"
    say ""
    say "Coffer $COFFER_VERSION is installed."
    if [ -z "$previous" ]; then
        say "Next (installation guide 5.1-5.3): on every node run"
        say "    sudo sdkms-cluster reset --delete-data --reset-iptables"
        say "then, on the first node only:"
        say "    cp ~/config.yaml.example config.yaml    # and edit it"
        say "    sudo sdkms-cluster create --self=<node IP>/<prefix> --config ./config.yaml"
    fi
}

install_platform_secret() {
    step "checking the platform secret"
    if [ -e "$SECRET" ] || [ -L "$SECRET" ]; then
        [ -f "$SECRET" ] || die "$SECRET exists but is not a regular file; it must be this node's platform secret"
        mode=$(file_mode "$SECRET")
        case $mode in
            600 | 400) ;;
            *)
                warn "$SECRET had mode $mode; setting it to 0600 (the daemon refuses a secret other users can read)"
                chmod 0600 "$SECRET" || die "cannot chmod 0600 $SECRET"
                ;;
        esac
        size=$(file_size "$SECRET")
        [ "$size" = "$SECRET_LEN" ] ||
            warn "$SECRET is $size bytes instead of $SECRET_LEN; the daemon will refuse it. It is NOT replaced: replacing it would lose every key sealed on this node"
        say "    kept /etc/coffer/platform.secret (never replaced by an install)"
        return 0
    fi
    tmp="$ETC_DIR/.platform.secret.$$"
    rm -f "$tmp"
    if [ -f "$DATA_DIR/platform.secret" ]; then
        # A daemon started by hand keeps its secret in the data directory by default; the keys
        # on this node are sealed to it, so the service must go on using the same bytes.
        (umask 077 && cp "$DATA_DIR/platform.secret" "$tmp") ||
            die "cannot copy $DATA_DIR/platform.secret to $tmp"
        origin="copied from /var/lib/coffer/platform.secret, which is left in place"
    else
        (umask 077 && dd if=/dev/urandom of="$tmp" bs="$SECRET_LEN" count=1 2>/dev/null) ||
            die "cannot write $SECRET_LEN random bytes from /dev/urandom to $tmp"
        [ "$(file_size "$tmp")" = "$SECRET_LEN" ] ||
            die "short read from /dev/urandom while creating the platform secret"
        origin="new"
    fi
    chmod 0600 "$tmp" || die "cannot chmod 0600 $tmp"
    # A hard link never replaces an existing file: if one appeared meanwhile, it is kept.
    ln "$tmp" "$SECRET" || die "cannot create $SECRET (did another process create it meanwhile?)"
    rm -f "$tmp"
    say "    created /etc/coffer/platform.secret (0600, $origin)"
    say "    Without this file the node cannot unseal its keys: upgrades and --uninstall keep it."
}

install_config_example() {
    src=$1
    step "placing config.yaml.example in the administrator's home directory"
    home="$R$(admin_home)"
    user=$(admin_user)
    if [ ! -d "$home" ]; then
        if [ "$ROOTED" -eq 1 ]; then
            mkdir -p "$home" || die "cannot create $home"
        else
            warn "the home directory $home does not exist; the template stays at /opt/coffer/current/share/config.yaml.example"
            return 0
        fi
    fi
    target="$home/config.yaml.example"
    if [ -f "$target" ] && cmp -s "$src" "$target"; then
        say "    $target is up to date"
        rm -f "$target.new"
        return 0
    fi
    if [ -e "$target" ] && ! shipped_example "$target"; then
        cp "$src" "$target.new" && chmod 0644 "$target.new" || die "cannot write $target.new"
        give_to_admin "$target.new" "$user"
        say "    $target differs from this version's template and was kept;"
        say "    the new template is $target.new (compare them with: diff $target $target.new)"
        return 0
    fi
    cp "$src" "$target.tmp.$$" && chmod 0644 "$target.tmp.$$" && mv -f "$target.tmp.$$" "$target" ||
        die "cannot write $target"
    give_to_admin "$target" "$user"
    rm -f "$target.new"
    say "    $target"
}

# shipped_example FILE: FILE equals the template of a version installed before (so the
# administrator never edited it and it may be updated).
shipped_example() {
    for shipped in "$OPT"/*/share/config.yaml.example; do
        [ -f "$shipped" ] || continue
        cmp -s "$shipped" "$1" && return 0
    done
    return 1
}

give_to_admin() {
    if [ "$ROOTED" -eq 0 ] && [ -n "${SUDO_USER:-}" ]; then
        chown "$2" "$1" 2>/dev/null || warn "could not give $1 to $2"
    fi
}

start_service() {
    if [ "$ROOTED" -eq 1 ]; then
        step "enabling the service in the root tree"
        mkdir -p "${WANTS_LINK%/*}" || die "cannot create ${WANTS_LINK%/*}"
        replace_link /etc/systemd/system/coffer.service "$WANTS_LINK"
        say "    --root: no systemctl calls; coffer.service starts at the first boot of this tree"
        return 0
    fi
    if ! systemd_running; then
        step "enabling the service without starting it: systemd is not running"
        mkdir -p "${WANTS_LINK%/*}" || die "cannot create ${WANTS_LINK%/*}"
        replace_link /etc/systemd/system/coffer.service "$WANTS_LINK"
        warn "systemd is not running here, so coffer.service starts at the next boot; to start the daemon now:"
        warn "  /usr/local/bin/coffer server --data-dir /var/lib/coffer --platform-secret /etc/coffer/platform.secret"
        return 0
    fi
    step "starting coffer.service"
    systemctl daemon-reload || die "systemctl daemon-reload failed"
    systemctl enable coffer.service || die "systemctl enable coffer.service failed"
    systemctl restart coffer.service ||
        die "coffer.service did not start; see: systemctl status coffer; journalctl -u coffer"
    if systemctl is-active --quiet coffer.service; then
        say "    coffer.service is running"
    else
        die "coffer.service is not running after a restart; see: systemctl status coffer; journalctl -u coffer"
    fi
}

# ---------------------------------------------------------------------------------------------
# Uninstall

uninstall_software() {
    step "checking this machine"
    check_privileges
    CHANGING=1
    if [ -d "$OPT" ]; then take_lock; fi

    if systemd_running; then
        step "stopping and disabling coffer.service"
        if systemctl cat coffer.service >/dev/null 2>&1; then
            systemctl disable --now coffer.service || die "systemctl disable --now coffer.service failed"
        fi
    fi

    step "removing the service unit"
    for file in "$WANTS_LINK" "$UNIT"; do
        if [ -e "$file" ] || [ -L "$file" ]; then
            rm -f "$file" || die "cannot remove $file"
            say "    removed ${file#"$R"}"
        fi
    done
    if systemd_running; then
        systemctl daemon-reload || die "systemctl daemon-reload failed"
    fi

    step "removing the command links"
    for name in $COMMANDS; do
        link="$BIN_DIR/$name"
        if is_ours "$link"; then
            rm -f "$link" || die "cannot remove $link"
            say "    removed /usr/local/bin/$name"
        fi
    done

    step "removing /opt/coffer"
    if [ -d "$OPT" ]; then
        LOCK_DIR=''
        rm -rf "$OPT" || die "cannot remove $OPT"
        say "    removed /opt/coffer"
    fi

    home="$R$(admin_home)"
    if [ "$PURGE" -eq 0 ]; then
            say ""
        say "Coffer is uninstalled. Kept, so that a reinstall finds this node as it was:"
        say "    /var/lib/coffer              the node's data"
        say "    /etc/coffer/platform.secret  the secret this node's keys are sealed to"
        say "    $home/config.yaml.example"
        say "To delete them too: sudo ./$PROG --uninstall --purge (this destroys every key on this node)."
        return 0
    fi

    step "purging data, platform secret and configuration templates"
    cat >&2 <<WARNING

  ********************************************************************************
  WARNING: --purge deletes this node's data (/var/lib/coffer) and its platform
  secret (/etc/coffer/platform.secret). Every key sealed on this node is lost for
  good; only other cluster members (or a recovery key) still hold them.
  ********************************************************************************

WARNING
    if [ "$ASSUME_YES" -eq 0 ] && [ -t 0 ]; then
        printf 'Type "purge" to delete them: ' >&2
        read -r answer || answer=''
        [ "$answer" = purge ] || die "not purging: you did not type purge; the software is already uninstalled, data and secret are kept"
    fi
    for path in "$DATA_DIR" "$ETC_DIR" "$home/config.yaml.example" "$home/config.yaml.example.new"; do
        if [ -e "$path" ] || [ -L "$path" ]; then
            rm -rf "$path" || die "cannot remove $path"
            say "    removed $path"
        fi
    done
    say ""
    say "Coffer is uninstalled and its data, platform secret and templates are deleted."
}

# ---------------------------------------------------------------------------------------------

case $ACTION in
    install) install_software ;;
    uninstall) uninstall_software ;;
    extract)
        require_tools tar gzip tail
        verify_payload
        STEP="unpacking into $EXTRACT_DIR"
        mkdir -p "$EXTRACT_DIR" || die "cannot create $EXTRACT_DIR"
        extract_to "$EXTRACT_DIR"
            say "unpacked Coffer $COFFER_VERSION into $EXTRACT_DIR/coffer_$COFFER_VERSION"
        ;;
esac
exit 0
__COFFER_PAYLOAD_BELOW__
