"""LiteLLM proxy callback: one JSON line per answered (or failed) request on the proxy's stdout.

litellm_config.yaml loads it with `litellm_settings.callbacks: [scripts.litellm_request_log.request_log]`
(LiteLLM resolves the dotted path relative to the config file's directory; compose mounts this
file next to the config). Each line looks like

    OWUI_ROUTER_REQUEST {"ts": "...", "requested": "gpt-chat", "group": "gpt-backup",
        "deployment": "mistral@ollama-b", "api_base": "http://ollama-b:11434", "status": "ok",
        "fallbacks": 1, "retries": 0, "stream": false, "ms": 812}

and `scripts/which-model.py` turns `docker compose logs litellm` into a table. No prompt or answer
text and no keys are logged. Needs only litellm itself (runs inside the proxy process).
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

from litellm.integrations.custom_logger import CustomLogger

PREFIX = "OWUI_ROUTER_REQUEST"


def _base(url: object) -> str | None:
    if not isinstance(url, str):
        return None
    for suffix in ("/api/chat", "/api/generate", "/api/embed"):
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


def _ms(start, end) -> int | None:
    try:
        return int((end - start).total_seconds() * 1000)
    except Exception:
        return None


def _record(kwargs: dict, status: str, start_time, end_time) -> dict:
    lp = kwargs.get("litellm_params") or {}
    md = lp.get("metadata") or {}
    info = lp.get("model_info") or md.get("model_info") or {}
    rec = {
        "ts": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "requested": md.get("original_model_group") or md.get("model_group"),
        "group": md.get("model_group"),
        "deployment": info.get("id"),
        "api_base": _base(lp.get("api_base") or md.get("api_base")),
        "status": status,
        "fallbacks": md.get("attempted_fallbacks") or 0,
        "retries": md.get("attempted_retries") or 0,
        "stream": bool(kwargs.get("stream")),
        "ms": _ms(start_time, end_time),
    }
    if status != "ok":
        exc = kwargs.get("exception")
        rec["error"] = type(exc).__name__ if exc is not None else "unknown"
    return rec


def _emit(rec: dict) -> None:
    try:
        sys.stdout.write(f"{PREFIX} {json.dumps(rec, default=str)}\n")
        sys.stdout.flush()
    except Exception:  # logging must never break a request
        pass


class RequestLog(CustomLogger):
    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        try:
            _emit(_record(kwargs, "ok", start_time, end_time))
        except Exception:
            pass

    async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
        try:
            _emit(_record(kwargs, "error", start_time, end_time))
        except Exception:
            pass


request_log = RequestLog()
