#!/usr/bin/env bash
# The Docker engine of the test tier (tests/test_docker_stack.py): Debian's dockerd, started as
# root in a network namespace of its own that has no interface but loopback and the bridges
# dockerd makes itself. Containers can talk to each other and to published ports inside that
# namespace, and nothing can leave the machine: the namespace has no uplink and no default route.
#
#   scripts/docker-engine.sh start     # idempotent; prints nothing when it is already up
#   scripts/docker-engine.sh stop      # stops dockerd (its containers with it), removes the namespace
#   scripts/docker-engine.sh status    # exit 0 when the engine answers
#   scripts/docker-engine.sh env       # prints DOCKER_HOST=... for this engine
#   scripts/docker-engine.sh exec CMD  # runs CMD inside the engine's network namespace
#
# It never touches a system dockerd: its own socket, data root, exec root and pid file.
# Storage driver vfs (works everywhere, copies every layer: keep images to few layers).
set -euo pipefail

NS="${OWUI_DOCKER_NETNS:-owui-router-docker}"
STATE="${OWUI_DOCKER_RUN:-/run/owui-router-docker}"
DATA="${OWUI_DOCKER_DATA:-/var/lib/owui-router-docker}"
SOCK="$STATE/docker.sock"
PIDFILE="$STATE/dockerd.pid"
LOG="${OWUI_DOCKER_LOG:-/var/log/owui-router-dockerd.log}"
export DOCKER_HOST="unix://$SOCK"

log() { printf '[docker-engine] %s\n' "$*" >&2; }

up() { [ -S "$SOCK" ] && docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start() {
  if up; then return 0; fi
  command -v dockerd >/dev/null || { log "dockerd is missing: run scripts/setup-test-env.sh docker"; exit 1; }
  mkdir -p "$STATE" "$DATA"
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    log "dockerd $(cat "$PIDFILE") is running but does not answer on $SOCK; log $LOG"; exit 1
  fi
  # left by a killed run: pid file, socket, and a namespace with the old bridges in it
  rm -f "$PIDFILE" "$SOCK"
  if ip netns list | grep -qw "$NS"; then ip netns del "$NS"; fi
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  # nsenter joins the network namespace only (ip netns exec would also remount /sys and hide
  # the cgroup mounts dockerd needs)
  setsid nsenter --net="/run/netns/$NS" -- \
    dockerd --host "unix://$SOCK" --pidfile "$PIDFILE" --data-root "$DATA" --exec-root "$STATE/exec" \
            --storage-driver vfs --userland-proxy=true --ip-forward=true --log-level warn \
    </dev/null >>"$LOG" 2>&1 &
  for _ in $(seq 1 120); do
    if up; then log "dockerd $(docker version --format '{{.Server.Version}}') up (netns $NS, $SOCK)"; return 0; fi
    sleep 0.5
  done
  log "dockerd did not answer within 60 s; log $LOG:"; tail -n 30 "$LOG" >&2
  exit 1
}

stop() {
  if [ -f "$PIDFILE" ]; then
    pid="$(cat "$PIDFILE")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      if kill -0 "$pid" 2>/dev/null; then log "dockerd $pid still running after 30 s: SIGKILL"; kill -KILL "$pid"; fi
    fi
    rm -f "$PIDFILE"
  fi
  # containerd-shim processes of killed containers die with their containers; the namespace goes last
  if ip netns list | grep -qw "$NS"; then ip netns del "$NS" || true; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) up ;;
  env) echo "DOCKER_HOST=$DOCKER_HOST" ;;
  exec) shift; exec nsenter --net="/run/netns/$NS" -- "$@" ;;
  *) echo "usage: $0 start|stop|status|env|exec CMD..." >&2; exit 2 ;;
esac
