#!/usr/bin/env bash
# Stand-in for open-webui's backend/start.sh (image ghcr.io/open-webui/open-webui:v0.12.4), the
# part this stack uses: run from /app/backend, take WEBUI_SECRET_KEY from the environment or from
# .webui_secret_key (made on the first start), serve open_webui.main:app with uvicorn on
# $HOST:$PORT (0.0.0.0:8080). Upstream's GPU, Ollama-in-image and Playwright branches are left out.
set -e
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$SCRIPT_DIR"
KEY_FILE=.webui_secret_key
PORT="${PORT:-8080}"
HOST="${HOST:-0.0.0.0}"
if [ -z "${WEBUI_SECRET_KEY:-}" ] && [ -z "${WEBUI_JWT_SECRET_KEY:-}" ]; then
  if [ ! -e "$KEY_FILE" ]; then
    head -c 12 /dev/random | base64 > "$KEY_FILE"
  fi
  WEBUI_SECRET_KEY="$(cat "$KEY_FILE")"
  export WEBUI_SECRET_KEY
fi
exec python3 -m uvicorn open_webui.main:app --host "$HOST" --port "$PORT" --forwarded-allow-ips '*' --workers "${UVICORN_WORKERS:-1}"
