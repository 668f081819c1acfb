# Shared by testbed/up, testbed/down and testbed/status. Sourced, not run.
# shellcheck shell=bash disable=SC2034 # variables used by the scripts that source this

TESTBED="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$TESTBED")"
RUN="${EDGEPARITY_TESTBED_DIR:-$TESTBED/run}"
# The run folder must be absolute: daemons get its paths on their command lines.
case "$RUN" in /*) ;; *) RUN="$PWD/$RUN" ;; esac
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$REPO/$TARGET_DIR" ;; esac
# EDGEPARITY_ORIGIN_BIN: use this origin binary instead of building one.
ORIGIN_BIN="${EDGEPARITY_ORIGIN_BIN:-$TARGET_DIR/debug/edgeparity-origin}"

# Start order; `down` stops them in reverse.
SERVICES=(origin varnishd hitch nginx dnsmasq)

# Every address:port the testbed listens on (TCP), for finding leftovers.
LISTENERS=(127.0.0.2:18080 127.0.0.2:18081 127.0.0.2:18443 127.0.0.3:18080 127.0.0.3:18443
  127.0.0.4:18080 127.0.0.5:18053 127.0.0.6:18443 127.0.0.7:18443)

# The executable name (/proc/PID/comm, at most 15 characters) of each service.
comm_of() {
  case "$1" in
    origin) echo edgeparity-orig ;;
    varnishd) echo varnishd ;;
    hitch) echo hitch ;;
    nginx) echo nginx ;;
    dnsmasq) echo dnsmasq ;;
  esac
}

pidfile() { echo "$RUN/pids/$1.pid"; }

# The pid of a running service, from its pid file; empty when not running
# (a stale pid file, or a pid now used by another program, counts as not running).
service_pid() {
  local f pid comm
  f="$(pidfile "$1")"
  [[ -r "$f" ]] || return 0
  pid="$(<"$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
  if [[ "$comm" == "$(comm_of "$1")" ]] && is_alive "$pid"; then echo "$pid"; fi
}

# Pids of processes (of our five programs) that hold one of our listening sockets.
listener_pids() {
  local inodes=() local_addr state inode addr port hex a b c d
  local -A wanted=()
  for addr in "${LISTENERS[@]}"; do
    IFS=.: read -r a b c d port <<<"$addr"
    hex="$(printf '%02X%02X%02X%02X:%04X' "$d" "$c" "$b" "$a" "$port")"
    wanted[$hex]=1
  done
  while read -r _ local_addr _ state _ _ _ _ _ inode _; do
    if [[ "$state" == 0A && -n "${wanted[$local_addr]:-}" ]]; then inodes+=("socket:[$inode]"); fi
  done < <(tail -n +2 /proc/net/tcp 2>/dev/null)
  # dnsmasq also holds UDP 127.0.0.5:18053 (state 07).
  while read -r _ local_addr _ state _ _ _ _ _ inode _; do
    if [[ -n "${wanted[$local_addr]:-}" ]]; then inodes+=("socket:[$inode]"); fi
  done < <(tail -n +2 /proc/net/udp 2>/dev/null)
  ((${#inodes[@]})) || return 0
  local fd link pid comm
  local -A want=()
  for link in "${inodes[@]}"; do want[$link]=1; done
  # Processes come and go while find runs: its complaints are not errors here.
  { find /proc/[0-9]*/fd -maxdepth 1 -type l -lname 'socket:*' -printf '%p %l\n' 2>/dev/null || true; } |
    while read -r fd link; do
      [[ -n "${want[$link]:-}" ]] || continue
      pid="${fd#/proc/}"
      pid="${pid%%/*}"
      comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
      case "$comm" in varnishd | cache-main | hitch | nginx | dnsmasq | edgeparity-orig) echo "$pid" ;; esac
    done | sort -u
}

# Pids of processes whose command line names our run folder (daemon children too).
run_dir_pids() {
  local f pid
  { grep -alsF -- "$RUN/" /proc/[0-9]*/cmdline 2>/dev/null || true; } | while read -r f; do
    pid="${f#/proc/}"
    pid="${pid%/cmdline}"
    if [[ "$pid" == "$$" || "$pid" == "$BASHPID" ]]; then continue; fi
    case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
      varnishd | cache-main | hitch | nginx | dnsmasq | edgeparity-orig) echo "$pid" ;;
    esac
  done
}

# Processes of ours that no running service accounts for: they name our run
# folder, or hold one of our listening sockets, and neither they nor their
# parent or grandparent is a service's recorded pid.
orphan_pids() {
  local managed=() s p pp ppp
  for s in "${SERVICES[@]}"; do
    p="$(service_pid "$s")"
    if [[ -n "$p" ]]; then managed+=("$p"); fi
  done
  { run_dir_pids; listener_pids; } | sort -u | while read -r p; do
    [[ -n "$p" ]] || continue
    pp="$(parent_of "$p")"
    ppp="$(parent_of "$pp")"
    for s in "${managed[@]}"; do
      if [[ "$p" == "$s" || "$pp" == "$s" || "$ppp" == "$s" ]]; then continue 2; fi
    done
    echo "$p"
  done
}

parent_of() {
  [[ -n "$1" ]] || return 0
  awk '/^PPid:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true
}

# Running, and not a zombie waiting for its (re)parent to reap it.
is_alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

# Send TERM, wait up to $2 seconds (default 5), then KILL.
stop_pids() {
  local pids=() wait="${2:-5}" i p alive
  read -ra pids <<<"${1//$'\n'/ }"
  ((${#pids[@]})) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for ((i = 0; i < wait * 10; i++)); do
    alive=()
    for p in "${pids[@]}"; do
      if is_alive "$p"; then alive+=("$p"); fi
    done
    ((${#alive[@]})) || return 0
    sleep 0.1
  done
  kill -KILL "${alive[@]}" 2>/dev/null || true
  sleep 0.2
}

stop_service() {
  local pid
  pid="$(service_pid "$1")"
  if [[ -n "$pid" ]]; then stop_pids "$pid"; fi
  rm -f "$(pidfile "$1")" "$RUN/pids/$1.sum"
}
