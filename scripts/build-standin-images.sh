#!/usr/bin/env bash
# Builds the local stand-in images of the Docker test tier (tests/test_docker_stack.py) on the
# engine of scripts/docker-engine.sh. Registry images cannot be pulled here, so each upstream
# image of compose.yaml gets a local one with the interface compose.yaml relies on
# (docker/standins/*/Dockerfile say, line by line, which upstream fact they copy):
#
#   owui-router-standin/debian-base:bookworm    Debian 12 minbase from debootstrap, `docker import`ed
#   owui-router-standin/ollama:0.12.6           the Ollama stand-in server + an `ollama` CLI shim
#   owui-router-standin/curl:8.11.1             sh + curl for the ollama-pull job
#   owui-router-standin/litellm:v1.108.0        the real litellm[proxy]==1.108.0 (from .venvs/litellm)
#   owui-router-standin/open-webui:v0.12.4      the real open-webui==0.12.4 (from .venvs/openwebui)
#
# tests/compose.standins.yaml points compose.yaml's services at them (only `image:` changes).
# Nothing is downloaded inside `docker build` (the engine has no network): the Python packages are
# the test venvs' own files, copied in; debootstrap fetches Debian packages on the host.
# Idempotent: an image whose inputs (Dockerfile, copied files, venv contents) are unchanged is kept
# (label org.owui-router.inputs); anything else is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
eval "export $(scripts/docker-engine.sh env)"
scripts/docker-engine.sh start
VENVS="${OWUI_ROUTER_VENVS:-$REPO/.venvs}"
WORK="${OWUI_STANDIN_BUILD:-/var/tmp/owui-router-standins}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
BASE_PKGS="python3,curl,ca-certificates,jq,iproute2,procps"
BASE_TAG="owui-router-standin/debian-base:bookworm"
export DOCKER_BUILDKIT=0   # the classic builder: no buildx plugin needed (Debian's docker.io has none)

log() { printf '[standins] %s\n' "$*" >&2; }

label_of() { docker image inspect --format '{{ index .Config.Labels "org.owui-router.inputs" }}' "$1" 2>/dev/null || true; }

hash_of() { sha256sum | cut -c1-16; }

build_base() {
  local want; want=$(printf 'bookworm minbase %s v1\n' "$BASE_PKGS" | hash_of)
  if [ "$(label_of "$BASE_TAG")" = "$want" ]; then log "$BASE_TAG up to date"; return; fi
  local root="$WORK/rootfs"
  if [ ! -f "$WORK/rootfs.ok" ] || [ "$(cat "$WORK/rootfs.ok")" != "$want" ]; then
    log "debootstrap bookworm ($BASE_PKGS) into $root"
    rm -rf "$root" "$WORK/rootfs.ok"; mkdir -p "$WORK"
    debootstrap --variant=minbase --include="$BASE_PKGS" bookworm "$root" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
      || { tail -n 20 "$WORK/debootstrap.log" >&2; exit 1; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
           "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/var/log/*.log
    echo "$want" > "$WORK/rootfs.ok"
  fi
  log "docker import $BASE_TAG"
  tar -C "$root" --numeric-owner -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' --change "LABEL org.owui-router.inputs=$want" - "$BASE_TAG" >/dev/null
}

# stage NAME: a fresh build context in $WORK/ctx/NAME with the Dockerfile dir's files
stage() {
  local ctx="$WORK/ctx/$1"
  rm -rf "$ctx"; mkdir -p "$ctx"
  cp -a "docker/standins/$1/." "$ctx/"
  echo "$ctx"
}

# add_venv CTX VENV SCRIPT...: the venv's site-packages (hard links when possible) and its console
# scripts with the shebang pointed at the image's /usr/bin/python3
add_venv() {
  local ctx="$1" venv="$VENVS/$2"; shift 2
  [ -x "$venv/bin/python" ] || { log "$venv is missing: run scripts/setup-test-env.sh ${venv##*/}"; exit 1; }
  local sp; sp=$(echo "$venv"/lib/python3.*/site-packages)
  cp -al "$sp" "$ctx/site-packages" 2>/dev/null || cp -a "$sp" "$ctx/site-packages"
  # the image's python3 is Debian's (another 3.11 patch release): add what its markers need
  local pyver extra
  pyver=$(docker run --rm --network none "$BASE_TAG" python3 -c 'import platform; print(platform.python_version())')
  extra=$("$venv/bin/python" docker/standins/requirements-for-python.py "$pyver")
  if [ -n "$extra" ]; then
    log "${venv##*/}: adding for Python $pyver: $(echo $extra)"
    # shellcheck disable=SC2086
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --target "$ctx/site-packages" $extra
  fi
  rm -f "$ctx/requirements-for-python.py"
  mkdir -p "$ctx/bin"
  for s in "$@"; do
    sed '1s|^#!.*python.*$|#!/usr/bin/python3|' "$venv/bin/$s" > "$ctx/bin/$s"; chmod 755 "$ctx/bin/$s"
  done
}

# inputs CTX: a hash of everything in the context (names, sizes, times of the venv files; content
# of the small files) and of the base image
inputs() {
  { docker image inspect --format '{{.Id}}' "$BASE_TAG"
    (cd "$1" && find . -path ./site-packages -prune -o -type f -print0 | sort -z | xargs -0 sha256sum)
    if [ -d "$1/site-packages" ]; then (cd "$1/site-packages" && ls -d ./*.dist-info | sort); fi
  } | hash_of
}

build() {  # build NAME TAG
  local name="$1" tag="$2" ctx="$WORK/ctx/$1" want
  want=$(inputs "$ctx")
  if [ "$(label_of "$tag")" = "$want" ]; then log "$tag up to date"; return; fi
  log "docker build $tag"
  local t0=$SECONDS
  docker build -q --build-arg "BASE=$BASE_TAG" --label "org.owui-router.inputs=$want" -t "$tag" "$ctx" >/dev/null
  log "$tag built in $((SECONDS - t0)) s"
}

build_base

ctx=$(stage ollama); cp tests/support/ollama_stub.py "$ctx/"
build ollama owui-router-standin/ollama:0.12.6

stage curl >/dev/null
build curl owui-router-standin/curl:8.11.1

ctx=$(stage litellm); add_venv "$ctx" litellm litellm
build litellm owui-router-standin/litellm:v1.108.0

ctx=$(stage open-webui); add_venv "$ctx" openwebui
build open-webui owui-router-standin/open-webui:v0.12.4

rm -rf "$WORK/ctx"
docker image prune -f >/dev/null
log "images:"; docker images --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' 'owui-router-standin/*' >&2
