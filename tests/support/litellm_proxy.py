"""Start the REAL LiteLLM proxy (from the test venv) with the repository's litellm_config.yaml.

    from support.litellm_proxy import LiteLLMProxy
    with LiteLLMProxy(ollama_a="http://127.0.0.1:1234", ollama_b="http://127.0.0.1:5678") as p:
        requests.post(p.url + "/v1/chat/completions", headers=p.headers, json={...})

The config reads everything that differs between compose and tests from the environment:

    OLLAMA_A_URL, OLLAMA_B_URL   base URLs of the two Ollama instances
    LITELLM_MASTER_KEY           the proxy's admin key (clients send it as Bearer token)

This launcher sets those plus LITELLM_LOCAL_MODEL_COST_MAP=True (no network at start-up),
picks a free port on 127.0.0.1, waits for /health/liveliness and stops the whole process
group on exit. The key is passed through the environment only, never on the command line.
"""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Mapping

from . import procs

CONFIG_PATH = procs.REPO_ROOT / "litellm_config.yaml"
REQUEST_LOG_SCRIPT = procs.REPO_ROOT / "scripts" / "litellm_request_log.py"
ENV_OLLAMA_A = "OLLAMA_A_URL"
ENV_OLLAMA_B = "OLLAMA_B_URL"
ENV_MASTER_KEY = "LITELLM_MASTER_KEY"


def litellm_exe() -> Path:
    """The `litellm` CLI in the test venv; raises naming scripts/setup-test-env.sh if missing."""
    return procs.venv_bin("litellm", "litellm")


def proxy_env(ollama_a: str, ollama_b: str, master_key: str, extra_env: Mapping[str, str] | None = None) -> dict:
    # REDIS_* too: LiteLLM picks Redis up from the environment by itself, and a developer's own
    # Redis must not silently become part of a test (the scale tests pass theirs in extra_env)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LITELLM_", "OLLAMA_", "REDIS_"))}
    # the venv's own interpreter must win over whatever python the tests run in
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    env.update({
        ENV_OLLAMA_A: ollama_a,
        ENV_OLLAMA_B: ollama_b,
        ENV_MASTER_KEY: master_key,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_TELEMETRY": "False",
        "LITELLM_LOG": "INFO",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    })
    env.update(extra_env or {})
    return env


class LiteLLMProxy:
    """The real proxy on 127.0.0.1:<free port>. Use as a context manager or call start()/stop()."""

    def __init__(self, ollama_a: str, ollama_b: str, *, config: str | os.PathLike = CONFIG_PATH,
                 master_key: str | None = None, extra_env: Mapping[str, str] | None = None,
                 port: int | None = None, log_dir: str | os.PathLike | None = None,
                 timeout: float = 120.0, name: str = "litellm", request_log: bool = False):
        self.ollama_a, self.ollama_b = ollama_a, ollama_b
        self.config = Path(config)
        self.master_key = master_key or "sk-test-" + secrets.token_hex(12)
        self.extra_env = dict(extra_env or {})
        self.port = port or procs.free_port()
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="owui-router-litellm-"))
        self.timeout = timeout
        self.name = name
        # True: start through scripts/litellm_request_log.py like compose does (one
        # OWUI_ROUTER_REQUEST line per request in the log; scripts/which-model.py reads them)
        self.request_log = request_log
        self.proc: procs.Proc | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.master_key}"}

    @property
    def log_path(self) -> Path | None:
        return self.proc.log_path if self.proc else None

    def log_text(self) -> str:
        return self.proc.log_path.read_text(errors="replace") if self.proc else ""

    def start(self) -> "LiteLLMProxy":
        if not self.config.exists():
            raise RuntimeError(f"LiteLLM config {self.config} is missing")
        exe = litellm_exe()
        env = proxy_env(self.ollama_a, self.ollama_b, self.master_key, self.extra_env)
        args = ["--host", "127.0.0.1", "--port", str(self.port), "--num_workers", "1"]
        if self.request_log:
            cmd = [str(procs.venv_bin("litellm", "python")), str(REQUEST_LOG_SCRIPT), "serve",
                   "--config", str(self.config), "--workdir", str(self.log_dir / "request-log-config"),
                   "--litellm", str(exe), "--", *args]
        else:
            cmd = [str(exe), "--config", str(self.config), *args]
        self.proc = procs.start_process(cmd, name=self.name, env=env, cwd=self.log_dir, log_dir=self.log_dir)
        try:
            procs.wait_http(self.url + "/health/liveliness", self.proc, timeout=self.timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    def __enter__(self) -> "LiteLLMProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class Stack:
    """Two Ollama stand-ins (subprocesses, killable) behind the real LiteLLM proxy."""

    def __init__(self, log_dir: Path, delay: float = 0.0, extra_env: Mapping[str, str] | None = None,
                 config: str | os.PathLike = CONFIG_PATH, request_log: bool = False,
                 stub_models: str | None = None):
        self.log_dir = Path(log_dir)
        self.stub_models = stub_models  # comma-separated models the stand-ins have (None: their default four)
        self.delay = delay
        self.extra_env = extra_env
        self.config = config
        self.request_log = request_log
        self.stubs: dict[str, procs.Proc] = {}  # instance name -> process
        self.urls: dict[str, str] = {}  # instance name -> base URL
        self.proxy: LiteLLMProxy | None = None

    def start_stub(self, name: str, port: int | None = None) -> str:
        proc, url = procs.start_ollama_stub(name, port=port, delay=self.delay, log_dir=self.log_dir,
                                            models=self.stub_models)
        self.stubs[name] = proc
        self.urls[name] = url
        return url

    def kill_stub(self, name: str) -> None:
        """SIGKILL an instance (its port then refuses connections)."""
        self.stubs[name].kill_hard()

    def restart_stub(self, name: str) -> str:
        """Start the instance again on the SAME port (the proxy's config points there)."""
        self.stubs[name].stop()
        port = int(self.urls[name].rsplit(":", 1)[1])
        return self.start_stub(name, port=port)

    def pids(self) -> dict[str, int]:
        out = {n: p.pid for n, p in self.stubs.items()}
        if self.proxy is not None and self.proxy.proc is not None:
            out["litellm"] = self.proxy.proc.pid
        return out

    def start(self) -> "Stack":
        try:
            a = self.start_stub("ollama-a")
            b = self.start_stub("ollama-b")
            self.proxy = LiteLLMProxy(a, b, config=self.config, extra_env=self.extra_env, log_dir=self.log_dir,
                                      request_log=self.request_log)
            self.proxy.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the proxy and both stand-ins; every step runs even if an earlier one raises."""
        try:
            if self.proxy is not None:
                self.proxy.stop()
        finally:
            for proc in list(self.stubs.values()):
                try:
                    proc.stop()
                except Exception:  # keep stopping the others
                    pass

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
