"""An Ollama-compatible stand-in server for tests (standard library only).

It speaks the parts of Ollama's HTTP API that LiteLLM (1.108.0, `ollama_chat/` and `ollama/`
providers), Open WebUI and our scripts use:

    GET  /                 "Ollama is running"
    GET  /api/version      {"version": ...}
    GET  /api/tags         installed models
    POST /api/show         {"model"|"name"} -> details, template, model_info, capabilities
    POST /api/chat         non-stream JSON or NDJSON stream (images in messages accepted)
    POST /api/generate     non-stream JSON or NDJSON stream
    POST /api/embed        {"model","input"} -> {"embeddings": [[...]]}
    POST /api/embeddings   legacy {"model","prompt"} -> {"embedding": [...]}
    POST /api/pull         {"model"|"name","stream"} -> status lines; adds the model to /api/tags
                           (a model in fail_models gets Ollama's streamed {"error": ...} instead)

Every answer names the instance and the model, e.g. content "[inst-a llama3] reply to: hi".
Test control (not part of Ollama):

    GET  /_stats     {"name", "requests": {model: n}, "failed": {model: n}, "paths": {path: n},
                      "images": n, "total": n, "fail_models": [...], "delay": s, "models": [...],
                      "hung": n, "died": n, "loads": {model: n}, "loaded": [...],
                      "health_checks": {model: n} (LiteLLM's health-check probes), ...settings}
    POST /_control   {"fail_models": [...], "fail_status": 500, "delay": 0.0, "reset": true,
                      "hang": false, "hang_all": false, "load_seconds": 0.0, "unload": true,
                      "die_after_chunks": null, "token_delay": 0.0, "reply_words": 0}
                     (any subset; failing models answer fail_status, 404 with Ollama's "not found" message)

Failure behaviours (the ways a real Ollama goes wrong that a test needs; all off by default):

    hang              inference requests (/api/chat, /api/generate, /api/embed*) are accepted and
                      read, then never answered: no status line, no byte (a stuck GPU, a wedged
                      runner). /api/version, /api/tags... still answer, as they do in a real Ollama
                      whose runner is stuck. Clearing it closes the held connections unanswered.
    hang_all          every endpoint except /_control and /_stats hangs (the whole server wedged).
    load_seconds      a model that is not loaded yet takes this long before its FIRST byte (Ollama
                      loads the model before it sends the status line of a stream), then answers
                      normally; later requests are warm. Concurrent requests wait for the same
                      load. As in Ollama's scheduler (server/sched.go waits for the runner with
                      the request's context), a load is ABORTED when the request that started it
                      goes away (a client timeout): the next request starts from zero.
                      load_survives_disconnect: true lets a started load finish anyway.
                      "unload": true makes every model cold again. An /api/chat
                      with no messages (or /api/generate with no prompt) only loads the model and
                      answers done_reason "load", like Ollama: that is the warm-up request.
                      GET /api/ps lists the loaded models.
    die_after_chunks  a stream is cut after this many content chunks: the connection is closed
                      without the final done chunk and without the chunked-encoding terminator
                      (the runner crashed mid-answer). A non-streaming request is closed unanswered.
    die_exit          with die_after_chunks: the stand-in PROCESS exits right after the cut (the
                      whole Ollama container crashed; its port then refuses connections). Only
                      in subprocess mode; in-process stubs just cut the stream.
    token_delay       seconds between streamed chunks (slow tokens).
    reply_words       pad each answer with this many extra words (longer streams).

Use it in-process::

    with OllamaStub("inst-a") as stub:   # binds 127.0.0.1 on a free port
        stub.url; stub.stats(); stub.set_fail_models(["llama3"])

or as a subprocess that a test can kill hard::

    python tests/support/ollama_stub.py --port 23456 --name inst-a [--fail-models llama3] [--delay 0.05]
        [--hang] [--hang-all] [--load-seconds 40] [--die-after-chunks 3] [--token-delay 0.05] [--reply-words 20]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import select
import signal
import socket
import sys
import threading
import time
from collections import Counter, deque
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable

DEFAULT_MODELS = ("llama3", "deepseek-coder", "llava", "mistral")
OLLAMA_VERSION = "0.12.6"  # what /api/version reports; any recent version string works
# LiteLLM 1.108.0's background health check sends one of these as the only user message
# (proxy/health_check.py _get_random_llm_message; DEFAULT_HEALTH_CHECK_PROMPT for other modes),
# non-streaming with num_predict 16. Such requests are counted under "health_checks", not
# "requests", so tests can still count user traffic exactly.
HEALTH_CHECK_PROMPTS = {"Hey how's it going?", "What's 1 + 1?", "test from litellm"}
VISION_MODELS = {"llava", "llava-llama3", "bakllava", "llama3.2-vision", "moondream"}


def normalize_model(name: str) -> str:
    """`llama3:latest` and `llama3` are the same model for Ollama."""
    name = (name or "").strip()
    if name.endswith(":latest"):
        name = name[: -len(":latest")]
    return name


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def _text_of(content: Any) -> str:
    """Text of an Ollama message content (a string; tolerate OpenAI-style part lists too)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


BEHAVIOURS = ("hang", "hang_all", "load_seconds", "load_survives_disconnect", "die_after_chunks", "die_exit",
              "token_delay", "reply_words")
_EXIT_ALLOWED = False  # die_exit ends the process: only when run as its own process (main())


class _State:
    def __init__(self, name: str, models: Iterable[str], fail_models: Iterable[str], delay: float,
                 **behaviours):
        self.name = name
        self.lock = threading.Lock()
        self.models = [normalize_model(m) for m in models]
        self.fail_models = {normalize_model(m) for m in fail_models}
        self.fail_status = 500  # HTTP status for failing models (404 = "model not found")
        self.delay = float(delay)
        self.hang = False  # inference requests are accepted and never answered
        self.hang_all = False  # every Ollama endpoint hangs
        self.load_seconds = 0.0  # time to load a cold model before its first byte
        self.die_after_chunks: int | None = None  # cut streams after this many content chunks
        self.die_exit = False  # after the cut the whole server process exits (a crashed container)
        self.token_delay = 0.0  # seconds between streamed chunks
        self.reply_words = 0  # extra words per answer
        self.load_survives_disconnect = False  # False: like Ollama, a load dies with the request that started it
        self.loaded: set = set()  # models in memory
        self.loading: dict[str, tuple[float, object]] = {}  # model -> (monotonic time the load ends, its owner)
        self.epoch = 0  # bumped when a hang is cleared: held connections are released
        self.apply(behaviours)
        self.reset_counters()

    def apply(self, settings: dict) -> None:
        """Set failure behaviours from a /_control body or constructor keywords (lock held)."""
        if "hang" in settings:
            if self.hang and not settings["hang"]:
                self.epoch += 1
            self.hang = bool(settings["hang"])
        if "hang_all" in settings:
            if self.hang_all and not settings["hang_all"]:
                self.epoch += 1
            self.hang_all = bool(settings["hang_all"])
        if "load_seconds" in settings:
            self.load_seconds = float(settings["load_seconds"] or 0)
        if "die_after_chunks" in settings:
            v = settings["die_after_chunks"]
            self.die_after_chunks = None if v is None or v == "" or int(v) < 0 else int(v)
        if "die_exit" in settings:
            self.die_exit = bool(settings["die_exit"])
        if "token_delay" in settings:
            self.token_delay = float(settings["token_delay"] or 0)
        if "reply_words" in settings:
            self.reply_words = max(0, int(settings["reply_words"] or 0))
        if "load_survives_disconnect" in settings:
            self.load_survives_disconnect = bool(settings["load_survives_disconnect"])
        if settings.get("unload"):
            self.loaded.clear()
            self.loading.clear()

    def promote(self) -> None:
        """Loads that have run their time are loaded models (lock held)."""
        now = time.monotonic()
        for m, (t, _) in list(self.loading.items()):
            if t <= now:
                self.loaded.add(m)
                del self.loading[m]

    def loaded_models(self) -> list:
        self.promote()
        return sorted(self.loaded)

    def reset_counters(self) -> None:
        self.requests: Counter = Counter()  # inference requests per model (chat/generate/embed)
        self.failed: Counter = Counter()  # requests answered with HTTP 500 per model
        self.paths: Counter = Counter()  # every request per path
        self.images = 0  # images received in chat/generate requests
        self.recent: deque = deque(maxlen=50)  # last request bodies (images replaced by sizes)
        self.hung = 0  # requests held without an answer (hang / hang_all)
        self.hung_health_checks = 0  # health-check and load-only probes held the same way
        self.abandoned = 0  # requests whose client gave up while the model was loading
        self.abandoned_after: deque = deque(maxlen=50)  # seconds each of them had waited
        self.died = 0  # answers cut off (die_after_chunks)
        self.loads: Counter = Counter()  # model loads started (cold starts)
        self.aborted_loads = 0  # loads abandoned because the request that started them went away
        self.load_requests: Counter = Counter()  # load-only requests (empty chat / prompt) per model
        self.health_checks: Counter = Counter()  # LiteLLM health-check requests per model (any outcome)

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "name": self.name,
                "requests": dict(self.requests),
                "failed": dict(self.failed),
                "paths": dict(self.paths),
                "images": self.images,
                "total": sum(self.requests.values()),
                "fail_models": sorted(self.fail_models),
                "fail_status": self.fail_status,
                "delay": self.delay,
                "models": list(self.models),
                "recent": list(self.recent),
                "hung": self.hung,
                "hung_health_checks": self.hung_health_checks,
                "died": self.died,
                "abandoned": self.abandoned,
                "abandoned_after": list(self.abandoned_after),
                "aborted_loads": self.aborted_loads,
                "load_survives_disconnect": self.load_survives_disconnect,
                "loads": dict(self.loads),
                "load_requests": dict(self.load_requests),
                "health_checks": dict(self.health_checks),
                "loaded": self.loaded_models(),
                "hang": self.hang,
                "hang_all": self.hang_all,
                "load_seconds": self.load_seconds,
                "die_after_chunks": self.die_after_chunks,
                "die_exit": self.die_exit,
                "token_delay": self.token_delay,
                "reply_words": self.reply_words,
            }


def _make_handler(state: _State):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive like Ollama; streams use chunked encoding
        server_version = "ollama-stub"

        def log_message(self, fmt, *args):  # quiet; counters tell the story
            pass

        # ---------- plumbing ----------
        def _body(self) -> dict:
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            if not raw:
                return {}
            try:
                data = json.loads(raw)
            except ValueError:
                return {"__invalid__": True}
            return data if isinstance(data, dict) else {"__invalid__": True}

        def _send_json(self, code: int, obj: Any) -> None:
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _send_text(self, code: int, text: str) -> None:
            data = text.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _stream_ndjson(self, objs: Iterable[dict], inference: bool = False) -> None:
            with state.lock:
                die_after = state.die_after_chunks if inference else None
                token_delay = state.token_delay if inference else 0.0
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            sent = 0
            for i, obj in enumerate(objs):
                if die_after is not None and (sent >= die_after or obj.get("done")):
                    return self._die()
                if token_delay and i:
                    time.sleep(token_delay)
                line = (json.dumps(obj) + "\n").encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                self.wfile.flush()
                sent += 1
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _die(self) -> None:
            """Close the connection mid-answer, as a crashed runner does (no done chunk, no terminator)."""
            with state.lock:
                state.died += 1
                exit_now = state.die_exit and _EXIT_ALLOWED
            self._drop()
            if exit_now:  # the Ollama container crashed mid-answer: from now on the port refuses
                sys.stdout.flush()
                os._exit(3)

        def _drop(self) -> None:
            self.close_connection = True
            try:
                self.wfile.flush()
            except OSError:
                pass
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def _client_gone(self, wait: float) -> bool:
            """Wait up to `wait` s; True as soon as the client has closed its side."""
            try:
                readable, _, _ = select.select([self.connection], [], [], max(0.0, wait))
                if readable:
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        return True
                    time.sleep(wait)  # pipelined bytes, not a close: just wait
            except (OSError, ValueError):
                return True
            return False

        def _sleep_unless_gone(self, seconds: float) -> bool:
            """Sleep `seconds`; False if the client went away meanwhile."""
            end = time.monotonic() + seconds
            while (left := end - time.monotonic()) > 0:
                if self._client_gone(min(left, 0.2)):
                    return False
            return True

        def _wait_for_load(self, model: str) -> bool:
            """Wait until `model` is loaded, starting its load if nobody has; False if the client left.

            Like Ollama's scheduler (server/sched.go: WaitUntilRunning(req.ctx)), a load is tied to
            the request that started it: when that client goes away the load is aborted and the
            next request starts it again from zero (unless load_survives_disconnect is set)."""
            me = object()
            started = time.monotonic()
            while True:
                with state.lock:
                    state.promote()
                    if model in state.loaded:
                        return True
                    if model not in state.loading:
                        state.loading[model] = (time.monotonic() + state.load_seconds, me)
                        if state.load_seconds > 0:
                            state.loads[model] += 1
                        state.promote()
                        if model in state.loaded:
                            return True
                    ends, owner = state.loading[model]
                    left = ends - time.monotonic()
                if self._client_gone(min(max(left, 0.0), 0.2)):
                    with state.lock:
                        state.abandoned += 1
                        state.abandoned_after.append(round(time.monotonic() - started, 1))
                        if owner is me and not state.load_survives_disconnect and model in state.loading:
                            del state.loading[model]
                            state.aborted_loads += 1
                    return False

        def _hold(self, probe: bool = False) -> None:
            """Accept the request and never answer it (until the hang is cleared or the client leaves)."""
            with state.lock:
                if probe:
                    state.hung_health_checks += 1
                else:
                    state.hung += 1
                epoch = state.epoch
            while True:
                with state.lock:
                    if state.epoch != epoch:
                        break
                if self._client_gone(0.2):
                    break
            self._drop()

        def _count_path(self) -> None:
            with state.lock:
                state.paths[self.path.split("?")[0]] += 1

        # ---------- verbs ----------
        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            self._count_path()
            path = self.path.split("?")[0]
            if path == "/_stats":
                return self._send_json(200, state.snapshot())
            if state.hang_all:
                return self._hold()
            if path == "/":
                return self._send_text(200, "Ollama is running")
            if path == "/api/version":
                return self._send_json(200, {"version": OLLAMA_VERSION})
            if path == "/api/tags":
                return self._send_json(200, {"models": [self._tag(m) for m in state.models]})
            if path == "/api/ps":
                return self._send_json(200, {"models": [dict(self._tag(m), expires_at=_now())
                                                        for m in state.loaded_models()]})
            return self._send_text(404, "404 page not found")

        def do_POST(self):
            self._count_path()
            path = self.path.split("?")[0]
            body = self._body()
            if body.get("__invalid__"):
                return self._send_json(400, {"error": "invalid JSON body"})
            if path == "/_control":
                return self._control(body)
            if state.hang_all:
                return self._hold()
            if path == "/api/show":
                return self._show(body)
            if path == "/api/pull":
                return self._pull(body)
            if path in ("/api/chat", "/api/generate", "/api/embed", "/api/embeddings"):
                return self._inference(path, body)
            return self._send_text(404, "404 page not found")

        # ---------- endpoints ----------
        def _tag(self, model: str) -> dict:
            digest = hashlib.sha256(f"{state.name}/{model}".encode()).hexdigest()
            family = "llama" if model != "mistral" else "mistral"
            return {
                "name": f"{model}:latest",
                "model": f"{model}:latest",
                "modified_at": _now(),
                "size": 4_000_000_000,
                "digest": digest,
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": family,
                    "families": [family] + (["clip"] if model in VISION_MODELS else []),
                    "parameter_size": "7B",
                    "quantization_level": "Q4_0",
                },
            }

        def _control(self, body: dict) -> None:
            with state.lock:
                if body.get("reset"):
                    state.reset_counters()
                    state.fail_status = 500
                if "fail_models" in body:
                    state.fail_models = {normalize_model(m) for m in body["fail_models"] or []}
                if "fail_status" in body:
                    state.fail_status = int(body["fail_status"] or 500)
                if "delay" in body:
                    state.delay = float(body["delay"] or 0)
                if body.get("reset"):
                    body = {"hang": False, "hang_all": False, "load_seconds": 0, "die_after_chunks": None,
                            "load_survives_disconnect": False, "die_exit": False,
                            "token_delay": 0, "reply_words": 0, **body}
                state.apply(body)
            return self._send_json(200, state.snapshot())

        def _show(self, body: dict) -> None:
            model = normalize_model(body.get("model") or body.get("name") or "")
            if model not in state.models:
                return self._send_json(404, {"error": f"model '{model}' not found"})
            caps = ["completion"] + (["vision"] if model in VISION_MODELS else [])
            return self._send_json(
                200,
                {
                    "modelfile": f"# stand-in {model} on {state.name}\nFROM {model}\n",
                    "parameters": "stop \"<|eot_id|>\"",
                    "template": "{{ if .System }}{{ .System }}{{ end }}{{ .Prompt }}",
                    "details": self._tag(model)["details"],
                    "model_info": {"general.architecture": "llama", "llama.context_length": 8192},
                    "capabilities": caps,
                    "modified_at": _now(),
                },
            )

        def _pull(self, body: dict) -> None:
            model = normalize_model(body.get("model") or body.get("name") or "")
            if not model:
                return self._send_json(400, {"error": "model is required"})
            with state.lock:
                refused = model in state.fail_models  # e.g. a name the registry does not know
                already = model in state.models
                if not already and not refused:
                    state.models.append(model)
            if refused:
                err = {"error": "pull model manifest: file does not exist"}
                if body.get("stream") is False:
                    return self._send_json(500, err)
                return self._stream_ndjson([{"status": "pulling manifest"}, err])
            steps = [{"status": "pulling manifest"}]
            if not already:
                steps.append({"status": f"pulling {model}", "digest": "sha256:0", "total": 1, "completed": 1})
            steps += [{"status": "verifying sha256 digest"}, {"status": "writing manifest"}, {"status": "success"}]
            if body.get("stream") is False:
                return self._send_json(200, {"status": "success"})
            return self._stream_ndjson(steps)

        def _inference(self, path: str, body: dict) -> None:
            model = normalize_model(body.get("model", ""))
            if not model:
                return self._send_json(400, {"error": "model is required"})
            if model not in state.models:
                return self._send_json(404, {"error": f"model '{model}' not found, try pulling it first"})
            load_only = (path == "/api/chat" and not body.get("messages")) or (
                path == "/api/generate" and not body.get("prompt") and not body.get("images"))
            health_check = False
            if path == "/api/chat":
                users = [m for m in body.get("messages") or [] if isinstance(m, dict) and m.get("role") == "user"]
                health_check = bool(users) and _text_of(users[-1].get("content")).strip() in HEALTH_CHECK_PROMPTS
            elif path == "/api/generate":
                health_check = str(body.get("prompt") or "").strip() in HEALTH_CHECK_PROMPTS
            with state.lock:
                hang = state.hang
                failing = model in state.fail_models
                delay = state.delay
                n_images = 0
                if path == "/api/chat":
                    n_images = sum(len(m.get("images") or []) for m in body.get("messages") or [] if isinstance(m, dict))
                elif path == "/api/generate":
                    n_images = len(body.get("images") or [])
                state.recent.append(
                    {"path": path, "model": model, "stream": body.get("stream", True),
                     "images": n_images, "options": body.get("options") or {}}
                )
                if not hang:
                    if health_check:  # probes are not user traffic, whatever their answer
                        state.health_checks[model] += 1
                    elif failing:
                        state.failed[model] += 1
                    elif load_only:
                        state.load_requests[model] += 1
                    else:
                        state.images += n_images
                        state.requests[model] += 1
            if hang:  # counted in "hung" (health checks and load-only probes in "hung_health_checks")
                return self._hold(probe=health_check or load_only)
            if delay:
                time.sleep(delay)
            if failing:
                if state.fail_status == 404:
                    return self._send_json(404, {"error": f"model '{model}' not found, try pulling it first"})
                return self._send_json(state.fail_status, {"error": f"[{state.name} {model}] simulated failure"})

            # model load: the first byte of a cold model comes only after load_seconds
            if not self._wait_for_load(model):
                return self._drop()

            if load_only:  # Ollama's way to load a model without generating (the warm-up request)
                out = {"model": model, "created_at": _now(), "done": True, "done_reason": "load"}
                if path == "/api/chat":
                    out["message"] = {"role": "assistant", "content": ""}
                else:
                    out["response"] = ""
                return self._send_json(200, out)

            with state.lock:
                die_now = state.die_after_chunks is not None and not body.get("stream", True)
                extra_words = state.reply_words
            if die_now:  # a non-streaming answer of a crashing runner never arrives
                return self._die()

            tag = f"[{state.name} {model}]"
            if path in ("/api/embed", "/api/embeddings"):
                return self._embed(path, model, body)

            if path == "/api/chat":
                msgs = [m for m in body.get("messages") or [] if isinstance(m, dict)]
                users = [m for m in msgs if m.get("role") == "user"]
                prompt = _text_of(users[-1].get("content")) if users else ""
            else:
                prompt = str(body.get("prompt") or "")
            snippet = " ".join(prompt.split())[:60]
            text = f"{tag} reply to: {snippet}"
            if n_images:
                text += f" (saw {n_images} image{'s' if n_images != 1 else ''})"
            if extra_words:
                text += "".join(f" w{i}" for i in range(1, extra_words + 1))
            prompt_tokens = max(1, len(prompt.split()))
            words = text.split(" ")
            eval_count = len(words)
            stream = body.get("stream", True)  # Ollama streams unless told not to
            done_fields = {
                "done": True,
                "done_reason": "stop",
                "total_duration": 1_000_000,
                "load_duration": 1000,
                "prompt_eval_count": prompt_tokens,
                "prompt_eval_duration": 1000,
                "eval_count": eval_count,
                "eval_duration": 1000,
            }
            if path == "/api/chat":
                if not stream:
                    return self._send_json(
                        200,
                        {"model": model, "created_at": _now(),
                         "message": {"role": "assistant", "content": text}, **done_fields},
                    )

                def chunks():
                    for i, w in enumerate(words):
                        piece = w if i == 0 else " " + w
                        yield {"model": model, "created_at": _now(),
                               "message": {"role": "assistant", "content": piece}, "done": False}
                    yield {"model": model, "created_at": _now(),
                           "message": {"role": "assistant", "content": ""}, **done_fields}

                return self._stream_ndjson(chunks(), inference=True)

            # /api/generate
            if not stream:
                return self._send_json(
                    200, {"model": model, "created_at": _now(), "response": text, "context": [1, 2, 3], **done_fields}
                )

            def gen_chunks():
                for i, w in enumerate(words):
                    piece = w if i == 0 else " " + w
                    yield {"model": model, "created_at": _now(), "response": piece, "done": False}
                yield {"model": model, "created_at": _now(), "response": "", "context": [1, 2, 3], **done_fields}

            return self._stream_ndjson(gen_chunks(), inference=True)

        def _embed(self, path: str, model: str, body: dict) -> None:
            def vec(s: str) -> list:
                h = hashlib.sha256(f"{model}:{s}".encode()).digest()
                return [round(b / 255.0, 4) for b in h[:8]]

            if path == "/api/embeddings":  # legacy single-prompt endpoint
                return self._send_json(200, {"embedding": vec(str(body.get("prompt") or ""))})
            inp = body.get("input")
            items = inp if isinstance(inp, list) else [inp if inp is not None else ""]
            return self._send_json(
                200,
                {"model": model, "embeddings": [vec(str(s)) for s in items],
                 "total_duration": 1000, "load_duration": 100,
                 "prompt_eval_count": sum(max(1, len(str(s).split())) for s in items)},
            )

    return Handler


class OllamaStub:
    """An in-process stand-in Ollama server on 127.0.0.1 (a free port unless one is given)."""

    def __init__(self, name: str = "inst-a", port: int = 0, host: str = "127.0.0.1",
                 models: Iterable[str] = DEFAULT_MODELS, fail_models: Iterable[str] = (), delay: float = 0.0,
                 **behaviours):
        """`behaviours`: any of BEHAVIOURS (hang, hang_all, load_seconds, die_after_chunks,
        token_delay, reply_words), as in /_control."""
        unknown = set(behaviours) - set(BEHAVIOURS)
        if unknown:
            raise TypeError(f"unknown behaviours: {sorted(unknown)}")
        self.state = _State(name, models, fail_models, delay, **behaviours)
        self.httpd = ThreadingHTTPServer((host, port), _make_handler(self.state))
        self.httpd.daemon_threads = True
        self.host, self.port = self.httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        return self.state.name

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "OllamaStub":
        self._thread = threading.Thread(target=self.httpd.serve_forever, name=f"ollama-stub-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def stats(self) -> dict:
        return self.state.snapshot()

    def set_fail_models(self, models: Iterable[str]) -> None:
        with self.state.lock:
            self.state.fail_models = {normalize_model(m) for m in models}

    def set_delay(self, seconds: float) -> None:
        with self.state.lock:
            self.state.delay = float(seconds)

    def reset(self) -> None:
        with self.state.lock:
            self.state.reset_counters()

    def control(self, **settings) -> dict:
        """Same keys as POST /_control (e.g. hang=True, load_seconds=40, unload=True)."""
        with self.state.lock:
            self.state.apply(settings)
        return self.stats()

    def __enter__(self) -> "OllamaStub":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ---------- helpers for a stub running in another process ----------
def remote_stats(url: str, timeout: float = 5.0) -> dict:
    import urllib.request

    with urllib.request.urlopen(url.rstrip("/") + "/_stats", timeout=timeout) as r:
        return json.loads(r.read())


def remote_control(url: str, timeout: float = 5.0, **settings) -> dict:
    """POST /_control, e.g. remote_control(url, fail_models=["llama3"], reset=True)."""
    import urllib.request

    req = urllib.request.Request(
        url.rstrip("/") + "/_control", data=json.dumps(settings).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def main(argv: list | None = None) -> int:
    ap = argparse.ArgumentParser(description="Ollama-compatible stand-in server for tests")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--name", default="inst-a", help="instance name shown in every reply")
    ap.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated installed models")
    ap.add_argument("--fail-models", default="", help="comma-separated models that answer HTTP 500")
    ap.add_argument("--delay", type=float, default=0.0, help="seconds to wait before each inference reply")
    ap.add_argument("--hang", action="store_true", help="accept inference requests and never answer them")
    ap.add_argument("--hang-all", action="store_true", help="hang every Ollama endpoint (the server is wedged)")
    ap.add_argument("--load-seconds", type=float, default=0.0,
                    help="a cold model's first byte comes after this many seconds (model load)")
    ap.add_argument("--load-survives-disconnect", action="store_true",
                    help="a started load finishes even when its client goes away (Ollama aborts it)")
    ap.add_argument("--die-after-chunks", type=int, default=None,
                    help="cut every stream after this many chunks (closed without the done chunk)")
    ap.add_argument("--die-exit", action="store_true", help="exit the process right after a cut stream")
    ap.add_argument("--token-delay", type=float, default=0.0, help="seconds between streamed chunks")
    ap.add_argument("--reply-words", type=int, default=0, help="extra words in every answer")
    a = ap.parse_args(argv)
    global _EXIT_ALLOWED
    _EXIT_ALLOWED = True
    stub = OllamaStub(
        a.name, port=a.port, host=a.host,
        models=[m for m in a.models.split(",") if m],
        fail_models=[m for m in a.fail_models.split(",") if m], delay=a.delay,
        hang=a.hang, hang_all=a.hang_all, load_seconds=a.load_seconds,
        load_survives_disconnect=a.load_survives_disconnect, die_after_chunks=a.die_after_chunks, die_exit=a.die_exit,
        token_delay=a.token_delay, reply_words=a.reply_words,
    )

    def _term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)
    print(f"ollama-stub {a.name} listening on {stub.url}", flush=True)
    try:
        stub.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stub.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
