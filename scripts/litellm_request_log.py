"""Per-request log for the LiteLLM proxy: which alias was asked, which deployment answered.

Two roles in one file (it needs nothing but litellm and PyYAML, both in the LiteLLM image):

1. A LiteLLM callback (`RequestLog`, instance `request_log`) that prints one JSON line per
   answered request, and per failed attempt, on the proxy's stdout:

       OWUI_ROUTER_REQUEST {"ts": "...", "requested": "gpt-chat", "group": "gpt-backup",
           "deployment": "mistral@ollama-b", "api_base": "http://ollama-b:11434", "status": "ok",
           "fallbacks": 1, "retries": 0, "stream": false, "ms": 812}

   No prompt or answer text and no keys are logged. `scripts/which-model.py` turns
   `docker compose logs litellm` into a table.

2. A launcher that starts the proxy with that callback, leaving litellm_config.yaml untouched:

       python3 litellm_request_log.py serve --config /etc/litellm/config.yaml [--litellm EXE] -- --host 0.0.0.0 --port 4000

   It writes a copy of the config with `litellm_settings.callbacks` extended by
   `scripts.litellm_request_log.request_log`, puts a copy of this file where LiteLLM resolves
   that dotted path (next to the copied config), and execs `litellm --config <copy> ARGS...`.
   Later `--config` arguments in ARGS win (LiteLLM then runs without this log).
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

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


if __name__ != "__main__":  # loaded by LiteLLM as a callback; the launcher below needs no litellm
    from litellm.integrations.custom_logger import CustomLogger

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


CALLBACK_PATH = "scripts.litellm_request_log.request_log"


def prepare(config: str, workdir: str) -> str:
    """Write <workdir>/config.yaml (config + this callback) and <workdir>/scripts/<this file>."""
    import os
    import shutil

    import yaml

    with open(config) as f:
        cfg = yaml.safe_load(f) or {}
    settings = cfg.setdefault("litellm_settings", {}) or {}
    cfg["litellm_settings"] = settings
    callbacks = list(settings.get("callbacks") or [])
    if CALLBACK_PATH not in callbacks:
        callbacks.append(CALLBACK_PATH)
    settings["callbacks"] = callbacks
    os.makedirs(os.path.join(workdir, "scripts"), exist_ok=True)
    shutil.copyfile(os.path.abspath(__file__), os.path.join(workdir, "scripts", "litellm_request_log.py"))
    out = os.path.join(workdir, "config.yaml")
    with open(out, "w") as f:
        f.write(f"# GENERATED from {config} by litellm_request_log.py (adds the request log callback)\n")
        yaml.safe_dump(cfg, f, sort_keys=False)
    return out


def main(argv: list | None = None) -> int:
    import argparse
    import os
    import tempfile

    argv = list(sys.argv[1:] if argv is None else argv)
    rest: list = []
    if "--" in argv:
        i = argv.index("--")
        argv, rest = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(prog="litellm_request_log.py", description="start LiteLLM with the request log")
    ap.add_argument("command", choices=["serve", "prepare"])
    ap.add_argument("--config", required=True, help="the LiteLLM config to extend (not modified)")
    ap.add_argument("--workdir", default=None, help="where to write the copy (default: a new temp dir)")
    ap.add_argument("--litellm", default="litellm", help="the litellm executable (default: from PATH)")
    a = ap.parse_args(argv)
    workdir = a.workdir or tempfile.mkdtemp(prefix="litellm-request-log-")
    out = prepare(a.config, workdir)
    if a.command == "prepare":
        print(out)
        return 0
    sys.stdout.flush()
    os.execvp(a.litellm, [a.litellm, "--config", out, *rest])
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
