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
   `scripts.litellm_request_log.request_log` and `scripts.litellm_request_log.hang_guard`,
   puts a copy of this file where LiteLLM resolves those dotted paths (next to the copied
   config), and execs `litellm --config <copy> ARGS...`. The files the config names under
   `include` (litellm_config.reasoning.yaml includes litellm_config.yaml) are named by their
   absolute path in the copy, so LiteLLM still finds and merges them.
   Later `--config` arguments in ARGS win (LiteLLM then runs without this log).

3. The hang guard (`HangGuard`, instance `hang_guard`): LiteLLM 1.108.0 cools a deployment down
   for `cooldown_time` after a timeout (litellm_config.yaml: TimeoutErrorAllowedFails 0) and
   then tries it again, so a hung Ollama costs one user the 15 s stream timeout every
   cooldown_time. When a deployment times out, the guard probes it with Ollama's load-only
   request (POST <api_base>/api/chat with no messages; it answers once the model is loaded)
   and, until a probe answers, puts the deployment back into LiteLLM's cooldown every few
   seconds. So a hung instance costs one user ~15 s ONCE, and gets requests again within
   cooldown_time after it answers. The probe waits OWUI_ROUTER_PROBE_TIMEOUT seconds
   (default 120), long enough for a model load, so a model that was only loading is loaded by
   the probe and comes back. It uses LiteLLM's router object and cooldown cache
   (litellm.proxy.proxy_server.llm_router.cooldown_cache), internal APIs checked on 1.108.0
   (tests/test_stack_resilience.py); any error inside the guard is logged and ignored. One
   line per event, no prompt text:

       OWUI_ROUTER_GUARD {"deployment": "llama3@ollama-a", "event": "held out", ...}
       OWUI_ROUTER_GUARD {"deployment": "llama3@ollama-a", "event": "answers again", "held_s": 95}
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

    import asyncio
    import os
    import time

    GUARD_PREFIX = "OWUI_ROUTER_GUARD"

    def _guard_emit(rec: dict) -> None:
        try:
            sys.stdout.write(f"{GUARD_PREFIX} {json.dumps(rec, default=str)}\n")
            sys.stdout.flush()
        except Exception:
            pass

    class HangGuard(CustomLogger):
        """Keep a deployment that timed out in cooldown until Ollama answers it again."""

        recool_every = 5.0  # seconds between two cooldown refreshes (well below cooldown_time)

        def __init__(self):
            super().__init__()
            self.probe_timeout = float(os.environ.get("OWUI_ROUTER_PROBE_TIMEOUT") or 120)
            self._held: dict = {}  # deployment id -> task

        async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
            try:
                import litellm

                exc = kwargs.get("exception")
                if not isinstance(exc, litellm.Timeout):
                    return
                lp = kwargs.get("litellm_params") or {}
                md = lp.get("metadata") or {}
                info = lp.get("model_info") or md.get("model_info") or {}
                dep_id = info.get("id")
                api_base = _base(lp.get("api_base") or md.get("api_base"))
                if not dep_id or not api_base or dep_id in self._held:
                    return
                from litellm.proxy import proxy_server

                router = proxy_server.llm_router
                dep = router.get_deployment(model_id=dep_id) if router is not None else None
                model = str(getattr(getattr(dep, "litellm_params", None), "model", "") or "")
                if not model.startswith(("ollama_chat/", "ollama/")):
                    return
                self._held[dep_id] = asyncio.create_task(
                    self._hold(router, dep_id, api_base.rstrip("/"), model.split("/", 1)[1], exc))
            except Exception as e:  # the guard must never break a request
                _guard_emit({"event": "guard error", "error": repr(e)[:200]})

        async def _probe(self, api_base: str, model: str) -> bool:
            import httpx

            try:
                async with httpx.AsyncClient(timeout=self.probe_timeout) as client:
                    r = await client.post(api_base + "/api/chat", json={"model": model, "messages": []})
                    return r.status_code == 200
            except Exception:
                return False

        async def _hold(self, router, dep_id: str, api_base: str, model: str, exc) -> None:
            t0 = time.monotonic()
            probes = 0
            _guard_emit({"deployment": dep_id, "event": "held out", "api_base": api_base,
                         "probe_timeout_s": self.probe_timeout})
            try:
                while True:
                    probes += 1
                    probe = asyncio.create_task(self._probe(api_base, model))
                    while not probe.done():
                        router.cooldown_cache.add_deployment_to_cooldown(
                            model_id=dep_id, original_exception=exc, exception_status=408,
                            cooldown_time=router.cooldown_time)
                        await asyncio.wait([probe], timeout=self.recool_every)
                    if probe.result():
                        break
                    router.cooldown_cache.add_deployment_to_cooldown(
                        model_id=dep_id, original_exception=exc, exception_status=408,
                        cooldown_time=router.cooldown_time)
                    await asyncio.sleep(self.recool_every)  # refused or an error: try again later
                _guard_emit({"deployment": dep_id, "event": "answers again", "probes": probes,
                             "held_s": round(time.monotonic() - t0)})
            except Exception as e:
                _guard_emit({"deployment": dep_id, "event": "guard error", "error": repr(e)[:200]})
            finally:
                self._held.pop(dep_id, None)

    hang_guard = HangGuard()


CALLBACK_PATH = "scripts.litellm_request_log.request_log"
GUARD_PATH = "scripts.litellm_request_log.hang_guard"


def prepare(config: str, workdir: str) -> str:
    """Write <workdir>/config.yaml (config + this callback) and <workdir>/scripts/<this file>."""
    import os
    import shutil

    import yaml

    with open(config) as f:
        cfg = yaml.safe_load(f) or {}
    # LiteLLM reads an `include` entry next to the config that names it; the copy lives
    # elsewhere, so name the included files by their absolute path (LiteLLM still merges them)
    includes = cfg.get("include")
    if isinstance(includes, list):
        here = os.path.dirname(os.path.abspath(config))
        cfg["include"] = [os.path.join(here, i) if isinstance(i, str) else i for i in includes]
        missing = [i for i in cfg["include"] if isinstance(i, str) and not os.path.isfile(i)]
        if missing:
            raise SystemExit(f"litellm_request_log.py: {config} includes {', '.join(missing)}, which does not exist")
    settings = cfg.setdefault("litellm_settings", {}) or {}
    cfg["litellm_settings"] = settings
    callbacks = list(settings.get("callbacks") or [])
    for path in (CALLBACK_PATH, GUARD_PATH):
        if path not in callbacks:
            callbacks.append(path)
    settings["callbacks"] = callbacks
    os.makedirs(os.path.join(workdir, "scripts"), exist_ok=True)
    shutil.copyfile(os.path.abspath(__file__), os.path.join(workdir, "scripts", "litellm_request_log.py"))
    out = os.path.join(workdir, "config.yaml")
    with open(out, "w") as f:
        f.write(f"# GENERATED from {config} by litellm_request_log.py (adds the request log and hang guard callbacks)\n")
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
