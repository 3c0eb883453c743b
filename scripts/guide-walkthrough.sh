#!/usr/bin/env bash
# Follows the installation guide (docs/install.md; the Fortanix DSM on-prem installation guide,
# sections 5.1-5.5, 7, 8 and 6) step by step on three nodes that share this machine: node1,
# node2 and node3 on the loopback addresses SUBNET.1, SUBNET.2 and SUBNET.3, each with the
# same API and cluster ports on its own address.
#
#   scripts/guide-walkthrough.sh [--artifact PATH] [--workdir DIR] [--subnet 127.30.0]
#                                [--profile debug|release]
#
#   --artifact  the coffer_<version>.run to install (default: build one with
#               scripts/build-installer.sh --profile PROFILE --out WORKDIR/dist)
#   --workdir   an empty or new directory for everything the walkthrough writes: each node's
#               install root, data and daemon log, the operator's config.yaml, the CA and the
#               certificates (default: a new directory under ${TMPDIR:-/tmp}); kept afterwards
#   --subnet    the first three octets of the nodes' loopback addresses (default 127.30.0)
#   --profile   the cargo profile to build when no --artifact is given (default: debug)
#
# Only the installed commands are used: the file is installed into a scratch root per node
# (./coffer_<version>.run --root WORKDIR/nodeN/root) and every command runs as
# WORKDIR/nodeN/root/usr/local/bin/<command>, with the node's own data directory and platform
# secret. For each guide step a banner shows the guide's section and command; then Coffer's
# equivalent runs and its output is shown. The daemons run in the background (setsid, one
# process group each) and are all stopped when the script exits, however it exits.
#
# Needs bash, coreutils, curl, openssl and setsid (util-linux); not root. Exits 0 when every
# step passed; otherwise it prints the guide step that failed, the command, its output and the
# end of every daemon log, and exits 1.
# shellcheck disable=SC2015
# (`a && b || fail` is meant to fail when either a or b fails.)
set -Eeuo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prog=guide-walkthrough

artifact=''
workdir=''
subnet=127.30.0
profile=debug

API_PORT=8443
CLUSTER_PORT=8444
# How long one command may run, and how long a join may run (it returns once the node votes).
COMMAND_TIMEOUT=120
JOIN_TIMEOUT=180
# How long to wait for a state to be reached (a member listed, a certificate served).
SETTLE_TIMEOUT=60
# Daemon log lines shown after a failure.
TAIL_LINES=40

MAIN_DOMAIN=dsm.coffer.test
UI_DOMAIN=ui.coffer.test
CLUSTER_NAME=walkthrough
SYSADMIN_EMAIL=admin@coffer.test
SYSADMIN_PASSWORD=Coffer-Walkthrough-Pa55!
# The cluster IP of the built-in load balancer. Loopback addresses are refused as cluster IP;
# this one is from the documentation range (RFC 5737). No client uses it here: the API is
# reached on each node's own address (curl --resolve).
CLUSTER_IP=192.0.2.30
NW_IFACE=lo
# What `config show` prints for log filtering on: YAML (useLogFilter: true) or JSON.
LOG_FILTER_ON='use_?log_?filter"?[[:space:]]*[:=][[:space:]]*"?true'

usage() { sed -n '2,27p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() {
    echo "$prog: error: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case $1 in
        --artifact) [ $# -ge 2 ] || die "--artifact needs a file"; artifact=$2; shift ;;
        --artifact=*) artifact=${1#--artifact=} ;;
        --workdir) [ $# -ge 2 ] || die "--workdir needs a directory"; workdir=$2; shift ;;
        --workdir=*) workdir=${1#--workdir=} ;;
        --subnet) [ $# -ge 2 ] || die "--subnet needs three octets, like 127.30.0"; subnet=$2; shift ;;
        --subnet=*) subnet=${1#--subnet=} ;;
        --profile) [ $# -ge 2 ] || die "--profile needs debug or release"; profile=$2; shift ;;
        --profile=*) profile=${1#--profile=} ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done

[[ $subnet =~ ^127\.([0-9]{1,3})\.([0-9]{1,3})$ ]] && [ "${BASH_REMATCH[1]}" -le 255 ] &&
    [ "${BASH_REMATCH[2]}" -le 255 ] ||
    die "--subnet must be three octets of the loopback network, like 127.30.0 (not '$subnet')"
case $profile in debug | release) ;; *) die "--profile must be debug or release, not '$profile'" ;; esac

# --- tools ----------------------------------------------------------------------------------
for tool in curl setsid timeout awk sed grep base64 diff stat; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required but not installed"
done
command -v openssl >/dev/null 2>&1 ||
    die "'openssl' is required but not installed: guide step 5.5 signs the certificate requests with a local OpenSSL CA and checks the served certificates with 'openssl s_client' (on Debian: apt-get install openssl)"

# --- the working directory -------------------------------------------------------------------
if [ -z "$workdir" ]; then
    workdir=$(mktemp -d "${TMPDIR:-/tmp}/coffer-walkthrough.XXXXXX")
else
    mkdir -p "$workdir" || die "cannot create the working directory $workdir"
    [ -z "$(ls -A "$workdir")" ] ||
        die "the working directory $workdir is not empty; give a new or empty one with --workdir"
fi
workdir=$(cd "$workdir" && pwd)
OPERATOR=$workdir/operator
mkdir -p "$OPERATOR" "$workdir/runs"

NODES=(1 2 3)
declare -A ROOT IP LOG PID
for n in "${NODES[@]}"; do
    ROOT[$n]=$workdir/node$n/root
    IP[$n]=$subnet.$n
    LOG[$n]=$workdir/node$n/daemon.log
    PID[$n]=''
    mkdir -p "$workdir/node$n"
done
# The home directory of the administrator who runs the installer, as the installed system sees
# it; under --root the template lands at ROOT/home/operator/config.yaml.example.
ADMIN_HOME=/home/operator

# --- failure report and cleanup ------------------------------------------------------------
SECTION='preparation'
CURRENT_COMMAND=''
CURRENT_OUTPUT=''
RUN_NUMBER=0
FAILED=0

daemon_log_tails() {
    local n
    for n in "${NODES[@]}"; do
        if [ -s "${LOG[$n]}" ]; then
            echo "--- last $TAIL_LINES lines of node$n's daemon log (${LOG[$n]}):" >&2
            tail -n "$TAIL_LINES" "${LOG[$n]}" >&2
        fi
    done
}

# fail MESSAGE: reports the failed guide step, the command, its output and the daemon logs.
fail() {
    trap - ERR
    FAILED=1
    {
        echo
        echo "################################################################################"
        echo "$prog: FAILED at guide step $SECTION"
        echo "  what failed: $1"
        if [ -n "$CURRENT_COMMAND" ]; then
            echo "  command:     $CURRENT_COMMAND"
        fi
        if [ -n "$CURRENT_OUTPUT" ] && [ -e "$CURRENT_OUTPUT.out" ]; then
            echo "  its output:"
            sed 's/^/    | /' "$CURRENT_OUTPUT.out"
        fi
        echo "################################################################################"
    } >&2
    daemon_log_tails
    echo "$prog: everything is kept in $workdir" >&2
    exit 1
}

on_error() {
    local line=$1 command=$2
    CURRENT_COMMAND=''
    fail "line $line of $prog: \`$command\` failed"
}
trap 'on_error "$LINENO" "$BASH_COMMAND"' ERR

stop_daemon() {
    local n=$1 pid=${PID[$1]} waited=0
    [ -n "$pid" ] || return 0
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 200 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "$prog: node$n's daemon (process group $pid) did not stop within 20 s of SIGTERM; killing it" >&2
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    PID[$n]=''
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM ERR
    local n
    for n in "${NODES[@]}"; do
        stop_daemon "$n"
    done
    if [ "$rc" -ne 0 ] && [ "$FAILED" -eq 0 ]; then
        echo "$prog: stopped (exit status $rc) during guide step $SECTION; everything is kept in $workdir" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- output ----------------------------------------------------------------------------------
# section NUMBER TITLE GUIDE-COMMAND...: the banner of one guide step.
section() {
    SECTION="$1 ($2)"
    local number=$1 title=$2
    shift 2
    echo
    echo "================================================================================"
    echo "== Guide $number: $title"
    local first=1 line
    for line in "$@"; do
        if [ "$first" -eq 1 ]; then
            echo "==   guide:  $line"
            first=0
        else
            echo "==           $line"
        fi
    done
    echo "================================================================================"
}

note() { echo "-- $*"; }

# quote ARGS...: the arguments as one shell-quoted line, for display.
quote() {
    local out='' arg
    for arg in "$@"; do
        if [[ $arg =~ ^[A-Za-z0-9_@%+=:,./~-]+$ ]]; then
            out+=" $arg"
        else
            out+=" '${arg//\'/\'\\\'\'}'"
        fi
    done
    printf '%s' "${out# }"
}

# Values shown by name in displayed commands (tokens, keys): SHOWN_AS[value]=$NAME.
declare -A SHOWN_AS=()

# shown_line TEXT: TEXT with every value of SHOWN_AS replaced by its name.
shown_line() {
    local text=$1 value
    for value in "${!SHOWN_AS[@]}"; do
        text=${text//"$value"/"${SHOWN_AS[$value]}"}
    done
    printf '%s' "$text"
}

# --- running commands ------------------------------------------------------------------------
# execute WHERE SHOWN TIMEOUT DIR COMMAND...: shows "[WHERE]$ SHOWN", runs COMMAND in DIR with
# a time limit, and shows its output. Stdout is kept in $LAST.stdout for parsing. Returns the
# command's exit status (124: timed out); the caller decides what a failure means.
LAST=''
execute() {
    local where=$1 shown=$2 limit=$3 dir=$4
    shift 4
    RUN_NUMBER=$((RUN_NUMBER + 1))
    LAST=$workdir/runs/$(printf '%03d' "$RUN_NUMBER")
    CURRENT_OUTPUT=$LAST
    CURRENT_COMMAND="(cd $(quote "$dir") && $(quote "$@"))"
    echo "[$where]\$ $(shown_line "$shown")"
    local rc=0
    (cd "$dir" && exec timeout "$limit" "$@") >"$LAST.stdout" 2>"$LAST.stderr" </dev/null || rc=$?
    cat "$LAST.stdout" "$LAST.stderr" >"$LAST.out"
    sed 's/^/    /' "$LAST.out"
    if [ "$rc" -eq 124 ]; then
        echo "    (no answer within $limit s)" | tee -a "$LAST.out"
    fi
    return "$rc"
}

# must WHERE SHOWN TIMEOUT DIR COMMAND...: execute, and fail the walkthrough unless it succeeds.
must() {
    local rc=0
    execute "$@" || rc=$?
    [ "$rc" -eq 0 ] || fail "the command exited with status $rc$([ "$rc" -ne 124 ] || echo ' (timed out)')"
}

# node_command N COMMAND ARGS...: fills NODE_ARGV with the installed COMMAND of node N and its
# node-specific flags, and NODE_SHOWN with the line an operator types on that node.
node_command() {
    local n=$1 command=$2
    shift 2
    local root=${ROOT[$n]}
    NODE_ARGV=("$root/usr/local/bin/$command")
    case $command in
        sdkms-cluster | get_csrs | install_certs) NODE_ARGV+=(--data-dir "$root/var/lib/coffer") ;;
    esac
    case $command in
        get_csrs | install_certs) NODE_ARGV+=(--log-file "$workdir/node$n/$command.log") ;;
    esac
    NODE_ARGV+=("$@")
    NODE_SHOWN=$(quote "$command" "$@")
}

# on N COMMAND ARGS...: runs an installed command on node N in the operator's directory; fails
# the walkthrough unless it succeeds.
on() {
    local n=$1
    node_command "$@"
    local limit=$COMMAND_TIMEOUT
    [ "$2" != sdkms-cluster ] || [ "${3:-}" != join ] || limit=$JOIN_TIMEOUT
    must "node$n" "$NODE_SHOWN" "$limit" "$OPERATOR" "${NODE_ARGV[@]}"
}

# on_refused N EXPECTED COMMAND ARGS...: the command must fail and say EXPECTED.
on_refused() {
    local n=$1 expected=$2
    shift 2
    node_command "$n" "$@"
    local rc=0
    execute "node$n" "$NODE_SHOWN" "$COMMAND_TIMEOUT" "$OPERATOR" "${NODE_ARGV[@]}" || rc=$?
    [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "the command should have been refused (exit status $rc)"
    grep -qF -- "$expected" "$LAST.out" || fail "the refusal should mention '$expected'"
}

# operator SHOWN COMMAND...: a command of the operator's own (openssl, curl, cp) in the
# operator's directory on node1.
operator() {
    local shown=$1
    shift
    must operator "$shown" "$COMMAND_TIMEOUT" "$OPERATOR" "$@"
}

# quietly N COMMAND ARGS...: runs an installed command of node N without showing it; its
# output is in $QUIET.out. Returns its exit status.
QUIET=$workdir/runs/quiet
quietly() {
    node_command "$@"
    local rc=0
    (cd "$OPERATOR" && exec timeout "$COMMAND_TIMEOUT" "${NODE_ARGV[@]}") >"$QUIET.out" 2>&1 </dev/null || rc=$?
    return "$rc"
}

# lacks GREP-ARGS...: grep finds nothing.
lacks() { ! grep -q "$@"; }

# check DESCRIPTION COMMAND...: fails the walkthrough with DESCRIPTION unless COMMAND succeeds.
check() {
    local description=$1
    shift
    if "$@"; then
        echo "    ok: $description"
    else
        fail "check failed: $description"
    fi
}

# wait_for DESCRIPTION COMMAND...: retries COMMAND every half second until it succeeds, for
# SETTLE_TIMEOUT seconds at most.
wait_for() {
    local description=$1 deadline=$((SECONDS + SETTLE_TIMEOUT))
    shift
    until "$@"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            CURRENT_OUTPUT=$QUIET
            CURRENT_COMMAND="(waiting for: $description)"
            fail "not reached within $SETTLE_TIMEOUT s: $description"
        fi
        sleep 0.5
    done
    echo "    ok: $description"
}

# --- cluster state ---------------------------------------------------------------------------
# member_is N NAME ROLE STATE: `sdkms-cluster status` on node N lists NAME with ROLE (a regular
# expression) and STATE.
member_is() {
    quietly "$1" sdkms-cluster status || return 1
    awk -v name="$2" -v role="^($3)\$" -v state="$4" '
        $1 == name && $2 ~ role && $3 == state { found = 1 }
        END { exit !found }' "$QUIET.out"
}

# member_count_is N COUNT: node N's status lists exactly COUNT members.
member_count_is() {
    quietly "$1" sdkms-cluster status || return 1
    [ "$(awk '$1 ~ /^node[0-9]+$/ && $2 ~ /^(leader|follower|learner)$/' "$QUIET.out" | wc -l)" -eq "$2" ]
}

# node_state_is N STATE: node N reports itself in STATE ("node NAME: STATE" line).
node_state_is() {
    quietly "$1" sdkms-cluster status || return 1
    grep -Eq "^node [^ ]+: $2( |\$)" "$QUIET.out"
}

# dc_is N NAME DC: node N's status shows NAME in data centre DC.
dc_is() {
    quietly "$1" sdkms-cluster status || return 1
    awk -v name="$2" -v dc="$3" '$1 == name && $4 == dc { found = 1 } END { exit !found }' "$QUIET.out"
}

# clock_offsets_small N: every clock offset node N shows is within one second.
clock_offsets_small() {
    quietly "$1" sdkms-cluster status || return 1
    awk '
        $1 ~ /^node[0-9]+$/ && $2 ~ /^(leader|follower|learner)$/ {
            for (i = 1; i <= NF; i++) if ($i ~ /^[+-][0-9]+ms$/) {
                v = $i; sub(/ms$/, "", v); if (v < 0) v = -v
                if (v > 1000) bad = 1
                seen++
            }
        }
        END { exit bad || !seen }' "$QUIET.out"
}

# admin_socket_answers N: node N's daemon answers `sdkms-cluster status`.
admin_socket_answers() {
    local n=$1
    if [ -n "${PID[$n]}" ] && ! kill -0 "${PID[$n]}" 2>/dev/null; then
        CURRENT_OUTPUT=''
        CURRENT_COMMAND=''
        fail "node$n's daemon exited before its admin socket answered"
    fi
    quietly "$n" sdkms-cluster status
}

# start_daemon N: starts node N's daemon as coffer.service would, in its own process group.
start_daemon() {
    local n=$1
    local root=${ROOT[$n]}
    local -a argv=("$root/usr/local/bin/coffer" server --data-dir "$root/var/lib/coffer"
        --platform-secret "$root/etc/coffer/platform.secret"
        --api-port "$API_PORT" --cluster-port "$CLUSTER_PORT")
    echo "[node$n]\$ coffer server --data-dir /var/lib/coffer --platform-secret /etc/coffer/platform.secret --api-port $API_PORT --cluster-port $CLUSTER_PORT"
    echo "    (the ExecStart of coffer.service; here in the background with setsid, log: node$n/daemon.log)"
    CURRENT_COMMAND="setsid $(quote "${argv[@]}") >>${LOG[$n]} 2>&1 &"
    CURRENT_OUTPUT=''
    setsid "${argv[@]}" </dev/null >>"${LOG[$n]}" 2>&1 &
    PID[$n]=$!
    wait_for "node$n's daemon answers on its admin socket" admin_socket_answers "$n"
}

# port_free IP PORT: nothing listens on IP:PORT.
port_free() {
    ! (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# --- config.yaml -----------------------------------------------------------------------------
# yaml_set FILE SECTION KEY VALUE: sets SECTION.KEY to VALUE in FILE, a config.yaml laid out
# like the template (top-level sections, keys indented by two spaces). Within the section, the
# line "KEY: VALUE" or "#KEY: VALUE" is replaced if there is one, else the first "KEY:" or
# "#KEY:" line; without either, the key is added at the end of the section.
yaml_set() {
    local file=$1 section=$2 key=$3 value=$4
    awk -v section="$section" -v key="$key" -v value="$value" '
        function header(line) { return line ~ /^[A-Za-z]/ }
        function in_it(line) { return line ~ ("^" section ":[ \t]*$") }
        function keyed(line) { return line ~ ("^  #? ?" key ":") }
        function exact(line) { return line ~ ("^  #? ?" key ":[ \t]*" value "[ \t]*$") }
        # First pass: the number of the line to replace.
        FNR == NR {
            if (header($0)) inside = in_it($0)
            else if (inside && exact($0) && !exact_at) exact_at = FNR
            else if (inside && keyed($0) && !keyed_at) keyed_at = FNR
            next
        }
        FNR == 1 { target = exact_at ? exact_at : keyed_at; inside = 0 }
        header($0) {
            if (inside && !done) { print "  " key ": " value; done = 1 }
            inside = in_it($0)
            if (inside) seen = 1
            print
            next
        }
        FNR == target { print "  " key ": " value; done = 1; next }
        { print }
        END {
            if (!seen) { print section ":"; inside = 1 }
            if (inside && !done) print "  " key ": " value
        }' "$file" "$file" >"$file.tmp"
    mv "$file.tmp" "$file"
    awk -v section="$section" -v line="  $key: $value" '
        /^[A-Za-z]/ { inside = ($0 ~ "^" section ":[ \t]*$") }
        inside && $0 == line { found = 1 }
        END { exit !found }' "$file" ||
        fail "could not set $section.$key to $value in $file"
    echo "    set $section.$key: $value"
}

# --- certificates ----------------------------------------------------------------------------
# csr_block HEADING FILE: the PEM request printed after HEADING by get_csrs.
csr_block() {
    awk -v heading="$1" '
        $0 == heading { after = 1; next }
        after && /-----BEGIN CERTIFICATE REQUEST-----/ { printing = 1 }
        printing { print }
        printing && /-----END CERTIFICATE REQUEST-----/ { exit }' "$2"
}

# served_is IP DOMAIN FINGERPRINT: the node at IP serves, for SNI DOMAIN, a chain that verifies
# against ca.pem for DOMAIN and whose leaf has FINGERPRINT.
served_is() {
    local ip=$1 domain=$2 expected=$3 served
    timeout 20 openssl s_client -connect "$ip:$API_PORT" -servername "$domain" -CAfile "$OPERATOR/ca.pem" \
        -verify_return_error -verify_hostname "$domain" </dev/null >"$QUIET.out" 2>&1 || return 1
    grep -q 'Verify return code: 0 (ok)' "$QUIET.out" || return 1
    served=$(openssl x509 -noout -fingerprint -sha256 <"$QUIET.out" 2>/dev/null) || return 1
    [ "$served" = "$expected" ]
}

# verify_served N DOMAIN CERT: waits until node N serves CERT for DOMAIN, then shows the
# operator's openssl s_client check.
verify_served() {
    local n=$1 domain=$2 cert=$3 expected
    expected=$(openssl x509 -noout -fingerprint -sha256 -in "$OPERATOR/$cert")
    wait_for "node$n (${IP[$n]}) serves $cert for $domain" served_is "${IP[$n]}" "$domain" "$expected"
    local rc=0
    RUN_NUMBER=$((RUN_NUMBER + 1))
    LAST=$workdir/runs/$(printf '%03d' "$RUN_NUMBER")
    CURRENT_OUTPUT=$LAST
    CURRENT_COMMAND="openssl s_client -connect ${IP[$n]}:$API_PORT -servername $domain -CAfile ca.pem -verify_return_error -verify_hostname $domain </dev/null"
    echo "[operator]\$ $CURRENT_COMMAND"
    (cd "$OPERATOR" && timeout 20 openssl s_client -connect "${IP[$n]}:$API_PORT" -servername "$domain" \
        -CAfile ca.pem -verify_return_error -verify_hostname "$domain") </dev/null >"$LAST.out" 2>&1 || rc=$?
    grep -E '^(subject|issuer)=|^ *[0-9] s:|^Verify return code' "$LAST.out" | sed 's/^/    /'
    [ "$rc" -eq 0 ] && grep -q 'Verify return code: 0 (ok)' "$LAST.out" ||
        fail "openssl s_client did not verify ${IP[$n]}:$API_PORT for $domain against ca.pem"
}

# --- the API ---------------------------------------------------------------------------------
# json_string FIELD FILE: the first string value of "FIELD" in the JSON in FILE.
json_string() {
    { grep -o "\"$1\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" "$2" || true; } | head -n 1 |
        sed 's/.*:[[:space:]]*"\(.*\)"$/\1/'
}

# api N METHOD PATH CURL-ARGS...: an HTTPS request to the main domain, sent to node N's address
# (curl --resolve), trusting only ca.pem; the answer's body is in $LAST.stdout.
api() {
    local n=$1 method=$2 path=$3
    shift 3
    local -a argv=(curl -sS --fail-with-body --max-time 30 --cacert ca.pem
        --resolve "$MAIN_DOMAIN:$API_PORT:${IP[$n]}" -X "$method" "$@"
        "https://$MAIN_DOMAIN:$API_PORT$path")
    must operator "$(quote "${argv[@]}")" "$COMMAND_TIMEOUT" "$OPERATOR" "${argv[@]}"
    echo
}

# =============================================================================================
echo "Coffer installation guide walkthrough"
echo "  working directory: $workdir"
echo "  nodes:             node1 ${IP[1]}, node2 ${IP[2]}, node3 ${IP[3]} (API port $API_PORT, cluster port $CLUSTER_PORT)"
echo "  '[nodeN]\$ sdkms-cluster ARGS' runs nodeN/root/usr/local/bin/sdkms-cluster --data-dir nodeN/root/var/lib/coffer ARGS"
echo "  (likewise get_csrs and install_certs, which also get --log-file nodeN/<command>.log);"
echo "  '[operator]\$' runs in operator/, the administrator's working directory on node1."

for n in "${NODES[@]}"; do
    for port in "$API_PORT" "$CLUSTER_PORT"; do
        port_free "${IP[$n]}" "$port" ||
            fail "${IP[$n]}:$port is already in use (another walkthrough or test on subnet $subnet?); choose another --subnet"
    done
done

# --- the installer file -------------------------------------------------------------------------
if [ -z "$artifact" ]; then
    note "building the installer file: scripts/build-installer.sh --profile $profile --out $workdir/dist"
    must build "scripts/build-installer.sh --profile $profile --out dist" 3600 "$repo" \
        bash "$repo/scripts/build-installer.sh" --profile "$profile" --out "$workdir/dist"
    artifact=$(tail -n 1 "$LAST.stdout")
fi
[ -f "$artifact" ] || fail "the installer file $artifact does not exist"
artifact=$(cd "$(dirname "$artifact")" && pwd)/$(basename "$artifact")
artifact_name=$(basename "$artifact")
[[ $artifact_name =~ ^coffer_(.+)\.run$ ]] || fail "$artifact is not named coffer_<version>.run"
version=${BASH_REMATCH[1]}
echo "  installer file:    $artifact (Coffer $version)"

# =============================================================================================
section 5.1 "Install Fortanix DSM, on every server" \
    "sudo chmod +x sdkms_<version>" \
    "sudo ./sdkms_<version>" \
    "sdkms-cluster reset --delete-data --reset-iptables"
for n in "${NODES[@]}"; do
    note "node$n: copy the file to the server (scp), make it executable and run it"
    cp "$artifact" "$workdir/node$n/$artifact_name"
    chmod +x "$workdir/node$n/$artifact_name"
    must "node$n" "./$artifact_name --root ./root      # HOME=$ADMIN_HOME" "$COMMAND_TIMEOUT" "$workdir/node$n" \
        env -u SUDO_USER HOME="$ADMIN_HOME" "./$artifact_name" --root ./root
    on "$n" coffer --version
    check "node$n runs the installed Coffer $version" grep -qx "coffer $version" "$LAST.stdout"
    check "node$n has its platform secret, readable by its owner only" \
        test "$(stat -c %a "${ROOT[$n]}/etc/coffer/platform.secret")" = 600
    start_daemon "$n"
    on "$n" sdkms-cluster reset --delete-data --reset-iptables
    on "$n" sdkms-cluster status
    check "node$n is uninitialized" node_state_is "$n" Uninitialized
done

# =============================================================================================
section 5.2 "NTP configuration" \
    "sudo systemctl restart ntp; ntpq -p                 (5.2.1 external NTP)" \
    "localntp: true   in config.yaml                      (5.2.2 internal NTP)"
note "5.2.1 is the host's own NTP daemon, which Coffer does not manage; the three nodes of this"
note "walkthrough share this machine's clock, so the template's 'localntp: false' stays. Where"
note "no NTP server is reachable, set 'localntp: true' in the global section (5.3.1). The"
note "template carries the directive:"
operator "grep -n localntp ~/config.yaml.example" grep -n localntp "${ROOT[1]}$ADMIN_HOME/config.yaml.example"
note "joins are refused beyond 30 s of clock offset; status shows every node's offset (5.4)."

# =============================================================================================
section 5.3.1 "Set up the deployment-specific configuration file, on node1 only" \
    "cp ~/config.yaml.example config.yaml" \
    "(edit config.yaml: load balancer, remote attestation, subnets, syslog, log filtering)"
operator "cp ~/config.yaml.example config.yaml" cp "${ROOT[1]}$ADMIN_HOME/config.yaml.example" config.yaml
note "edit config.yaml for this scenario: built-in load balancer (cluster IP $CLUSTER_IP on"
note "interface $NW_IFACE; loopback addresses cannot be a cluster IP), remote attestation off"
yaml_set "$OPERATOR/config.yaml" sdkms clusterIp "$CLUSTER_IP"
yaml_set "$OPERATOR/config.yaml" keepalived nwIface "$NW_IFACE"
yaml_set "$OPERATOR/config.yaml" global attestation null
rc=0
execute operator "diff -u ~/config.yaml.example config.yaml" "$COMMAND_TIMEOUT" "$OPERATOR" \
    diff -u "${ROOT[1]}$ADMIN_HOME/config.yaml.example" config.yaml || rc=$?
[ "$rc" -eq 1 ] || fail "config.yaml should differ from the template (diff exited with $rc)"
note "the daemon checks the whole file before applying anything: a copy with a bad value is"
note "refused with the key and its line, and the node stays as it was"
cp "$OPERATOR/config.yaml" "$OPERATOR/config.bad.yaml"
yaml_set "$OPERATOR/config.bad.yaml" global localntp sometimes
on_refused 1 "global.localntp (line" sdkms-cluster create "--self=${IP[1]}/8" --config ./config.bad.yaml --node-name node1
check "node1 is still uninitialized" node_state_is 1 Uninitialized
rm -f "$OPERATOR/config.bad.yaml"

# =============================================================================================
section 5.3.5 "Create the Fortanix DSM cluster, on node1" \
    "sudo sdkms-cluster create --self=<server ip address/subnet mask> --config ./config.yaml" \
    "sudo KUBECONFIG=/etc/kubernetes/admin.conf kubectl get pods -o wide"
on 1 sdkms-cluster create "--self=${IP[1]}/8" --config ./config.yaml --node-name node1
on 1 sdkms-cluster status
check "node1 is the leader and a member" member_is 1 node1 leader Member
check "node1 warns that it serves the bootstrap certificate until 5.5" grep -qi bootstrap "$LAST.out"

# =============================================================================================
section 5.4 "Configure the other nodes, one at a time" \
    "sudo kubeadm token create            (on node1; also: sudo kubeadm token list)" \
    "sudo sdkms-cluster join --peer=<server ip address/subnet> --token=<kubeadm-token>" \
    "sudo sdkms-cluster join --peer=<server ip address> --token=<kubeadm-token> --self=<node IP address>"
for n in 2 3; do
    note "node$n joins; the next join starts only after this one has finished"
    on 1 sdkms-cluster token create
    token=$(tr -d '[:space:]' <"$LAST.stdout")
    [[ $token =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || fail "token create should print a token like abcdef.0123456789abcdef"
    on 1 sdkms-cluster token list
    check "token list shows the new token's id ${token%%.*}" grep -q "${token%%.*}" "$LAST.out"
    on "$n" sdkms-cluster join "--peer=${IP[1]}/8" "--token=$token" "--self=${IP[$n]}" --node-name "node$n"
    wait_for "node1 lists node$n as a member" member_is 1 "node$n" 'follower|leader' Member
    on 1 sdkms-cluster status
    on "$n" sdkms-cluster status
    check "node$n sees itself as a member" node_state_is "$n" Member
    on 1 sdkms-cluster check-network
done
check "node1 lists three members" member_count_is 1 3
check "every clock offset is within 1 s" clock_offsets_small 1

# =============================================================================================
section 5.3.6 "Configure data centre labelling, after all nodes have joined" \
    "(the Data Center Labeling guide's automated script)"
on 1 sdkms-cluster label --node node1 --dc dc-east
printf '%s\n' '# NODE-NAME DATA-CENTRE' 'node1 dc-east' 'node2 dc-east' 'node3 dc-west' >"$OPERATOR/dc-map.txt"
operator "cat dc-map.txt" cat dc-map.txt
on 1 sdkms-cluster label --auto --dc-map ./dc-map.txt
wait_for "node2 shows node1 and node2 in dc-east, node3 in dc-west" \
    eval 'dc_is 2 node1 dc-east && dc_is 2 node2 dc-east && dc_is 2 node3 dc-west'
on 2 sdkms-cluster status

# =============================================================================================
section 5.5 "Install certificates, on node1" \
    "sudo get_csrs" \
    "(have the Cluster and UI certificate requests signed by a CA)" \
    "sudo install_certs"
on 1 get_csrs --main-domain "$MAIN_DOMAIN" --ui-domain "$UI_DOMAIN" --cluster-name "$CLUSTER_NAME" \
    --sysadmin-email "$SYSADMIN_EMAIL" --sysadmin-password "$SYSADMIN_PASSWORD"
csr_block 'Cluster Certificate Request:' "$LAST.stdout" >"$OPERATOR/main.csr"
csr_block 'UI Certificate Request:' "$LAST.stdout" >"$OPERATOR/ui.csr"
check "get_csrs printed the Cluster Certificate Request" grep -q 'END CERTIFICATE REQUEST' "$OPERATOR/main.csr"
check "get_csrs printed the UI Certificate Request" grep -q 'END CERTIFICATE REQUEST' "$OPERATOR/ui.csr"
note "a local OpenSSL CA signs both requests"
operator "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 -subj '/O=Coffer walkthrough/CN=Coffer walkthrough CA' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign" \
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
    -days 30 -subj '/O=Coffer walkthrough/CN=Coffer walkthrough CA' \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
for service in main ui; do
    if [ "$service" = main ]; then domain=$MAIN_DOMAIN; else domain=$UI_DOMAIN; fi
    printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' \
        'extendedKeyUsage=serverAuth' "subjectAltName=DNS:$domain" >"$OPERATOR/$service.ext"
    operator "openssl req -in $service.csr -noout -subject" openssl req -in "$service.csr" -noout -subject
    operator "openssl x509 -req -in $service.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -sha256 -extfile $service.ext -out $service.crt      # $service.ext: subjectAltName=DNS:$domain" \
        openssl x509 -req -in "$service.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -sha256 \
        -extfile "$service.ext" -out "$service.crt"
    operator "cat $service.crt ca.pem > $service-chain.pem" sh -c "cat $service.crt ca.pem > $service-chain.pem"
done
on 1 install_certs --main-chain ./main-chain.pem --ui-chain ./ui-chain.pem
note "every node serves the installed certificates, verified against the CA for each domain"
for n in "${NODES[@]}"; do
    verify_served "$n" "$MAIN_DOMAIN" main.crt
    verify_served "$n" "$UI_DOMAIN" ui.crt
done
on 1 sdkms-cluster status
check "status no longer warns about the bootstrap certificate" lacks -i bootstrap "$LAST.out"

# =============================================================================================
section 5.3.4 "Apply a changed config.yaml to the existing cluster" \
    "sudo sdkms-cluster deploy --config ./config.yaml --stage DEPLOY" \
    "sudo KUBECONFIG=/etc/kubernetes/admin.conf kubectl get cm config-values -oyaml"
on 1 sdkms-cluster config show
note "change: log filtering on (sdkms.useLogFilter, 5.3.1); first a dry run"
yaml_set "$OPERATOR/config.yaml" sdkms useLogFilter true
on 1 sdkms-cluster deploy --config ./config.yaml --stage DEPLOY --dry-run
check "the dry run names the change of useLogFilter" grep -qi uselogfilter "$LAST.out"
on 2 sdkms-cluster config show --json
check "a dry run changes nothing" lacks -Ei "$LOG_FILTER_ON" "$LAST.out"
on 1 sdkms-cluster deploy --config ./config.yaml --stage DEPLOY
on 2 sdkms-cluster config show --json
check "every node has the deployed configuration (useLogFilter: true, seen on node2)" \
    grep -Eqi "$LOG_FILTER_ON" "$LAST.out"

# =============================================================================================
section 8 "Remove a node from an existing cluster" \
    "sudo -E kubectl get nodes" \
    "sudo sdkms-cluster remove --node <node name> --force" \
    "sdkms-cluster reset --delete-data --reset-iptables       (on the removed node)"
on 1 sdkms-cluster status
on 1 sdkms-cluster remove --node node3 --force
wait_for "node1 lists two members" member_count_is 1 2
on 1 sdkms-cluster status
on 3 sdkms-cluster reset --delete-data --reset-iptables
on 3 sdkms-cluster status
check "node3 is uninitialized" node_state_is 3 Uninitialized

# =============================================================================================
section 7 "Add a node to an existing cluster" \
    "sudo kubeadm token create                       (on one of the existing nodes)" \
    "sudo sdkms-cluster join --peer=<existing node IP>/<subnet-mask> --token=<token>"
note "node3 comes back as a new server: its daemon stops, the installer file runs again, the"
note "daemon restarts, and the node is reset (5.1) before it joins. Section 8 ran first: a node"
note "cannot join under the name of a node that is still a voting member."
stop_daemon 3
must node3 "./$artifact_name --root ./root      # HOME=$ADMIN_HOME" "$COMMAND_TIMEOUT" "$workdir/node3" \
    env -u SUDO_USER HOME="$ADMIN_HOME" "./$artifact_name" --root ./root
start_daemon 3
on 3 sdkms-cluster reset --delete-data --reset-iptables
on 2 sdkms-cluster token create
token=$(tr -d '[:space:]' <"$LAST.stdout")
[[ $token =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || fail "token create should print a token like abcdef.0123456789abcdef"
on 3 sdkms-cluster join "--peer=${IP[1]}/8" "--token=$token" "--self=${IP[3]}" --node-name node3
wait_for "node1 lists node3 as a member again" member_is 1 node3 'follower|leader' Member
on 1 sdkms-cluster label --node node3 --dc dc-west
wait_for "node1 shows node3 in dc-west" dc_is 1 node3 dc-west
check "node1 lists three members" member_count_is 1 3
on 1 sdkms-cluster status
note "the rejoined node serves the certificates installed in 5.5"
verify_served 3 "$MAIN_DOMAIN" main.crt
verify_served 3 "$UI_DOMAIN" ui.crt

# =============================================================================================
section 6 "Using Fortanix DSM: sysadmin login, a key, an app that encrypts and decrypts" \
    "https://<main domain> (the REST API and web interface)"
note "the first sysadmin (from get_csrs) logs in on node1"
api 1 POST /sys/v1/session/auth -u "$SYSADMIN_EMAIL:$SYSADMIN_PASSWORD"
bearer=$(json_string access_token "$LAST.stdout")
[ -n "$bearer" ] || fail "the login answer has no access_token"
SHOWN_AS[$bearer]="\$SESSION"
note "commands below show the sysadmin's access_token as \$SESSION"
auth=(-H "Authorization: Bearer $bearer")
note "an account, a group and an AES-256 key"
api 1 POST /sys/v1/accounts "${auth[@]}" -H 'Content-Type: application/json' -d '{"name":"walkthrough"}'
account=$(json_string acct_id "$LAST.stdout")
[ -n "$account" ] || fail "the account answer has no acct_id"
api 1 POST /sys/v1/session/select_account "${auth[@]}" -H 'Content-Type: application/json' \
    -d "{\"acct_id\":\"$account\"}"
api 2 POST /sys/v1/groups "${auth[@]}" -H 'Content-Type: application/json' -d '{"name":"walkthrough-keys"}'
group=$(json_string group_id "$LAST.stdout")
[ -n "$group" ] || fail "the group answer has no group_id"
api 2 POST /crypto/v1/keys "${auth[@]}" -H 'Content-Type: application/json' \
    -d "{\"name\":\"walkthrough-aes\",\"obj_type\":\"AES\",\"key_size\":256,\"group_id\":\"$group\"}"
kid=$(json_string kid "$LAST.stdout")
[ -n "$kid" ] || fail "the key answer has no kid"
note "an app in that group, and its API key (base64 of app_id:secret): crypto operations are"
note "made by apps"
api 2 POST /sys/v1/apps "${auth[@]}" -H 'Content-Type: application/json' \
    -d "{\"name\":\"walkthrough-app\",\"default_group\":\"$group\",\"add_groups\":[\"$group\"]}"
app=$(json_string app_id "$LAST.stdout")
[ -n "$app" ] || fail "the app answer has no app_id"
api 2 GET "/sys/v1/apps/$app/credential" "${auth[@]}"
secret=$(json_string secret "$LAST.stdout")
[ -n "$secret" ] || fail "the credential answer has no secret"
api_key=$(printf '%s:%s' "$app" "$secret" | base64 | tr -d '\n')
SHOWN_AS[$api_key]="\$API_KEY"
note "\$API_KEY: base64 of $app:<secret>"
api 3 POST /sys/v1/session/auth -H "Authorization: Basic $api_key"
app_bearer=$(json_string access_token "$LAST.stdout")
[ -n "$app_bearer" ] || fail "the app login answer has no access_token"
SHOWN_AS[$app_bearer]="\$APP_SESSION"
note "commands below show the app's access_token as \$APP_SESSION"
app_auth=(-H "Authorization: Bearer $app_bearer")
plain=$(printf 'guide walkthrough' | base64)
note "the app encrypts on node1 and decrypts on node3 (the node that rejoined in section 7)"
api 1 POST "/crypto/v1/keys/$kid/encrypt" "${app_auth[@]}" -H 'Content-Type: application/json' \
    -d "{\"alg\":\"AES\",\"mode\":\"GCM\",\"plain\":\"$plain\",\"tag_len\":128}"
cipher=$(json_string cipher "$LAST.stdout")
iv=$(json_string iv "$LAST.stdout")
tag=$(json_string tag "$LAST.stdout")
[ -n "$cipher" ] && [ -n "$iv" ] && [ -n "$tag" ] || fail "the encrypt answer lacks cipher, iv or tag"
api 3 POST "/crypto/v1/keys/$kid/decrypt" "${app_auth[@]}" -H 'Content-Type: application/json' \
    -d "{\"alg\":\"AES\",\"mode\":\"GCM\",\"cipher\":\"$cipher\",\"iv\":\"$iv\",\"tag\":\"$tag\"}"
check "node3 decrypts node1's ciphertext to the plaintext" test "$(json_string plain "$LAST.stdout")" = "$plain"

SECTION='the end'
echo
echo "================================================================================"
echo "== Walkthrough complete: every guide step passed"
echo "==   5.1 5.2 5.3.1 5.3.5 5.4 5.3.6 5.5 5.3.4 8 7 6"
echo "==   logs and files: $workdir"
echo "================================================================================"
