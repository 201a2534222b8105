#!/usr/bin/env bash
# Installs everything the test suite needs, idempotently:
#   - the package itself with its test and training extras (current Python)
#   - the real LiteLLM proxy in its own venv   (.venvs/litellm)
#   - the real Open WebUI server in its own venv (.venvs/openwebui)
#   - Debian packages used by tests: chromium (browser test), redis-server, nginx,
#     docker-compose (compose file validation), postgresql (scale-out test)
#   - the Docker test tier (tests/test_docker_stack.py): Debian's docker.io, debootstrap and
#     iptables; starts the tier's engine (scripts/docker-engine.sh: dockerd in a network namespace
#     with no uplink) and builds the stand-in images from the venvs above
#     (scripts/build-standin-images.sh). The tests stop the engine when they are done.
# Usage: scripts/setup-test-env.sh [all|python|litellm|openwebui|debian|docker]
# Needs root for the Debian packages (apt-get; skipped when they are all present) and about 4 GB
# of disk for .venvs/. The package goes into the python3 on PATH (or $PYTHON): use a virtual env.
set -euo pipefail
cd "$(dirname "$0")/.."

LITELLM_VERSION="1.108.0"
OPENWEBUI_VERSION="0.12.4"
TORCH_VERSION="2.13.0"   # CPU build that lies on this machine's disk; keeps the venv small
VENVS="${OWUI_ROUTER_VENVS:-$PWD/.venvs}"
PY="${PYTHON:-python3}"
what="${1:-all}"

log() { printf '[setup] %s\n' "$*"; }

die() { printf 'setup-test-env: %s\n' "$*" >&2; exit 1; }

setup_python() {
  log "package + test and training extras into $("$PY" -c 'import sys; print(sys.prefix)')"
  "$PY" -m pip install -q --disable-pip-version-check -e ".[test,train]"
}

# venv_ready VENV DIST VERSION: true when VENV already holds DIST==VERSION
venv_ready() {
  [ -x "$1/bin/python" ] && "$1/bin/python" -c "import importlib.metadata as m,sys; sys.exit(m.version('$2')!='$3')" 2>/dev/null
}

setup_litellm() {
  local v="$VENVS/litellm"
  if venv_ready "$v" litellm "$LITELLM_VERSION"; then log "litellm $LITELLM_VERSION already in $v"; return; fi
  log "litellm[proxy]==$LITELLM_VERSION into $v"
  "$PY" -m venv "$v"
  "$v/bin/pip" install -q --disable-pip-version-check "litellm[proxy]==$LITELLM_VERSION"
}

setup_openwebui() {
  local v="$VENVS/openwebui"
  if venv_ready "$v" open-webui "$OPENWEBUI_VERSION"; then log "open-webui $OPENWEBUI_VERSION already in $v"; return; fi
  log "open-webui==$OPENWEBUI_VERSION into $v (torch $TORCH_VERSION CPU first)"
  "$PY" -m venv "$v"
  "$v/bin/pip" install -q --disable-pip-version-check "torch==$TORCH_VERSION"
  "$v/bin/pip" install -q --disable-pip-version-check "torch==$TORCH_VERSION" "open-webui==$OPENWEBUI_VERSION"
}

# debian_missing: the Debian packages the tests need that are not installed, on one line
debian_missing() {
  local need=()
  command -v chromium >/dev/null || need+=(chromium)
  command -v chromedriver >/dev/null || need+=(chromium-driver)
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v nginx >/dev/null || need+=(nginx)
  command -v docker-compose >/dev/null || need+=(docker-compose)
  # Postgres server binaries (initdb/postgres) for the scale-out test of Open WebUI on Postgres
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
  # the Docker tier: the engine, the base image's debootstrap, its network namespace
  command -v dockerd >/dev/null || need+=(docker.io)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  command -v iptables >/dev/null || need+=(iptables)
  command -v nsenter >/dev/null || need+=(util-linux)
  command -v ip >/dev/null || need+=(iproute2)
  echo "${need[*]}"
}

# check_root: fail at once, before anything is installed, when Debian packages are missing and we are not root
check_root() {
  local need
  need=$(debian_missing)
  if [ -n "$need" ] && [ "$(id -u)" -ne 0 ]; then
    die "needs root to apt-get install: $need (run it as root, or install those packages first)"
  fi
}

setup_debian() {
  local need
  need=$(debian_missing)
  if [ -n "$need" ]; then
    log "apt-get install $need"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $need >/dev/null
  else
    log "debian packages already present"
  fi
}

setup_docker() {
  setup_debian
  log "docker engine + stand-in images"
  OWUI_ROUTER_VENVS="$VENVS" bash scripts/build-standin-images.sh
}

case "$what" in
  all) check_root; setup_python; setup_debian; setup_litellm; setup_openwebui; setup_docker ;;
  python) setup_python ;;
  litellm) setup_litellm ;;
  openwebui) setup_openwebui ;;
  debian) check_root; setup_debian ;;
  docker) check_root; setup_docker ;;
  *) echo "usage: $0 [all|python|litellm|openwebui|debian|docker]" >&2; exit 2 ;;
esac
