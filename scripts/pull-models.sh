#!/bin/sh
# Pull the models the stack needs into running Ollama instances, idempotently.
#
#   scripts/pull-models.sh [URL ...]
#
# URLs default to $OLLAMA_URLS (space-separated), else the compose-published ones are not
# assumed: inside compose the `ollama-pull` service runs this with
# OLLAMA_URLS="http://ollama-a:11434 http://ollama-b:11434".
# Models: $OLLAMA_MODELS_TO_PULL (space-separated) if set; else every Ollama model that the
# LiteLLM config $OLLAMA_MODELS_FROM names (`model: ollama_chat/NAME` or `ollama/NAME`, in it
# and in the files its `include:` lists), so the pull follows the config the proxy runs: compose
# sets it to the file LITELLM_CONFIG selects (litellm_config.reasoning.yaml adds deepseek-r1);
# else "llama3 deepseek-coder llava mistral" (gpt-chat, gpt-code, gpt-vision, gpt-backup in
# litellm_config.yaml). With both set, a model the config names that the list lacks is named
# in a warning (the proxy would get "model not found" for it).
#
# A model that an instance already has (POST /api/show answers 200) is skipped, so running
# this again costs nothing and works offline once everything is pulled. Otherwise it calls
# POST /api/pull and follows the streamed status until "success".
#
# Then it WARMS each model on each instance: one load-only request (POST /api/chat with no
# messages, Ollama's way to load a model without generating), waiting up to
# $OLLAMA_WARM_TIMEOUT seconds (default 600) for the load. LiteLLM gives a streaming answer
# only 15 s for its first byte (litellm_config.yaml), and Ollama aborts a load when the
# request that started it goes away, so a model that is cold when the first user arrives is
# answered by the other instance or by the slower cold-start tier; warming right after the
# pull means the first users find the models loaded. The load stays for Ollama's keep-alive
# ($OLLAMA_KEEP_ALIVE of the Ollama server, 10m in compose.yaml; sent with the request when
# set here too). If an instance cannot hold all models at once, each load evicts an earlier
# one and only the last ones stay warm. OLLAMA_WARM=0 skips warming.
# POSIX sh + curl only (runs in the curlimages/curl image and on any Linux/macOS host).
# Exit code: 0 when every model is present (and warmed) on every instance, 1 otherwise.
set -u

DEFAULT_MODELS="llama3 deepseek-coder llava mistral"
MODELS="${OLLAMA_MODELS_TO_PULL:-}"
MODELS_FROM="${OLLAMA_MODELS_FROM:-}"
WAIT_SECONDS="${OLLAMA_WAIT_SECONDS:-120}"
WARM="${OLLAMA_WARM:-1}"
WARM_TIMEOUT="${OLLAMA_WARM_TIMEOUT:-600}"
KEEP_ALIVE="${OLLAMA_KEEP_ALIVE:-}"

if [ "$#" -gt 0 ]; then
  URLS="$*"
else
  URLS="${OLLAMA_URLS:-}"
fi
if [ -z "$URLS" ]; then
  echo "usage: $0 URL [URL ...]   (or set OLLAMA_URLS, e.g. \"http://127.0.0.1:11434\")" >&2
  exit 2
fi

log() { printf '[pull-models] %s\n' "$*"; }

config_models() {  # the Ollama models a LiteLLM config names, with its includes (depth <= 4)
  file="$1"; depth="${2:-0}"
  if [ ! -r "$file" ]; then
    echo "pull-models: cannot read the LiteLLM config $file (OLLAMA_MODELS_FROM)" >&2
    return 1
  fi
  sed -n '/^[[:space:]]*#/d; s/.*model:[[:space:]]*["'"'"']\{0,1\}ollama\(_chat\)\{0,1\}\/\([^][[:space:],}"'"'"']*\).*/\2/p' "$file"
  [ "$depth" -ge 4 ] && return 0
  dir=$(dirname "$file")
  for inc in $(sed -n '/^include:/,/^[^[:space:]-]/s/^[[:space:]]*-[[:space:]]*["'"'"']\{0,1\}\([^"'"'"'[:space:]]*\).*/\1/p' "$file"); do
    case "$inc" in /*) path="$inc" ;; *) path="$dir/$inc" ;; esac
    (config_models "$path" $((depth + 1))) || return 1  # a subshell: its variables stay its own
  done
}

wait_for() {  # wait until the instance answers /api/version
  url="$1"; waited=0
  while ! curl -fsS -o /dev/null --max-time 5 "$url/api/version" 2>/dev/null; do
    if [ "$waited" -ge "$WAIT_SECONDS" ]; then
      log "$url: no answer after ${WAIT_SECONDS}s"
      return 1
    fi
    sleep 2; waited=$((waited + 2))
  done
}

has_model() {  # 0 if the instance already has the model
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 \
    -H 'Content-Type: application/json' -d "{\"model\": \"$2\"}" "$1/api/show")
  [ "$code" = "200" ]
}

pull() {  # stream /api/pull, print each new status once, succeed only on "success"
  url="$1"; model="$2"
  out=$(mktemp)
  curl -sS -N --max-time 0 -H 'Content-Type: application/json' \
    -d "{\"model\": \"$model\", \"stream\": true}" "$url/api/pull" > "$out" 2>&1 &
  pid=$!
  last=""
  while kill -0 "$pid" 2>/dev/null; do
    status=$(tail -n 1 "$out" | sed -n 's/.*"status" *: *"\([^"]*\)".*/\1/p')
    if [ -n "$status" ] && [ "$status" != "$last" ]; then log "$url $model: $status"; last="$status"; fi
    sleep 1
  done
  wait "$pid"; rc=$?
  if [ "$rc" -ne 0 ]; then
    log "$url $model: curl failed ($rc): $(tail -n 1 "$out")"; rm -f "$out"; return 1
  fi
  if grep -q '"error"' "$out"; then
    log "$url $model: $(grep '"error"' "$out" | tail -n 1)"; rm -f "$out"; return 1
  fi
  if ! tail -n 1 "$out" | grep -q '"status" *: *"success"'; then
    log "$url $model: pull ended without success: $(tail -n 1 "$out")"; rm -f "$out"; return 1
  fi
  rm -f "$out"
  log "$url $model: pulled"
}

warm() {  # load the model into memory without generating (Ollama: /api/chat with no messages)
  url="$1"; model="$2"
  if [ -n "$KEEP_ALIVE" ]; then
    body="{\"model\": \"$model\", \"messages\": [], \"keep_alive\": \"$KEEP_ALIVE\"}"
  else
    body="{\"model\": \"$model\", \"messages\": []}"
  fi
  start=$(date +%s)
  out=$(curl -sS --max-time "$WARM_TIMEOUT" -H 'Content-Type: application/json' -d "$body" \
    -w '\n%{http_code}' "$url/api/chat" 2>&1)
  rc=$?
  code=$(printf '%s' "$out" | tail -n 1)
  secs=$(( $(date +%s) - start ))
  if [ "$rc" -ne 0 ] || [ "$code" != "200" ]; then
    log "$url $model: warm-up FAILED after ${secs}s (curl $rc, HTTP $code): $(printf '%s' "$out" | head -n 1)"
    return 1
  fi
  log "$url $model: warm (loaded in ${secs}s)"
}

if [ -n "$MODELS_FROM" ]; then
  named=$(config_models "$MODELS_FROM") || exit 2
  named=$(printf '%s\n' $named | awk 'NF && !seen[$0]++' | tr '\n' ' ')
  if [ -z "$named" ]; then
    echo "pull-models: $MODELS_FROM names no Ollama model (model: ollama_chat/NAME)" >&2
    exit 2
  fi
  if [ -z "$MODELS" ]; then
    MODELS="$named"
    log "models named by $(basename "$MODELS_FROM"): $MODELS"
  else
    for m in $named; do
      case " $MODELS " in *" $m "*) ;; *) log "WARNING: $(basename "$MODELS_FROM") uses $m, which OLLAMA_MODELS_TO_PULL does not list: requests for it will fail until it is pulled";; esac
    done
  fi
fi
[ -n "$MODELS" ] || MODELS="$DEFAULT_MODELS"

failed=0
for url in $URLS; do
  url="${url%/}"
  if ! wait_for "$url"; then failed=1; continue; fi
  for model in $MODELS; do
    if has_model "$url" "$model"; then
      log "$url $model: already present"
    elif ! pull "$url" "$model" || ! has_model "$url" "$model"; then
      log "$url $model: FAILED"; failed=1; continue
    fi
    if [ "$WARM" != "0" ] && ! warm "$url" "$model"; then failed=1; fi
  done
done
[ "$failed" -eq 0 ] && log "all models present on: $URLS"
exit "$failed"
