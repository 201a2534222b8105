"""Start the REAL Open WebUI (pip `open-webui`, from the test venv `.venvs/openwebui`) for tests.

    from support.openwebui import OpenWebUI
    with OpenWebUI(openai_base_url=proxy.url + "/v1", openai_api_key=proxy.master_key) as owui:
        admin = owui.signup_admin()          # first user -> admin; returns a Session
        key = owui.create_api_key(admin)     # sk-... (ENABLE_API_KEYS=true here)

Every run gets a fresh DATA_DIR (Open WebUI persists its config to the database on first start,
so a reused directory would keep the previous run's settings) and offline settings:
OFFLINE_MODE, HF_HUB_OFFLINE, RAG_EMBEDDING_ENGINE=openai (no local embedding model is loaded),
no Ollama connection (the only connection is the LiteLLM proxy, OpenAI-compatible), no
version check, no telemetry. It binds 127.0.0.1 on a free port; stop() kills the process group.

Background tasks that would send extra model calls per chat (title, tags, follow-ups,
autocomplete) are switched off so the tests can count requests per model exactly.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from . import procs

OPENWEBUI_VERSION = "0.12.4"
ADMIN_EMAIL = "admin@example.com"
ADMIN_NAME = "Test Admin"

# Environment variables the server must not inherit from the test runner.
_STRIP_PREFIXES = ("OPENAI_", "OLLAMA_", "WEBUI_", "OWUI_", "LITELLM_", "ENABLE_", "RAG_")


def openwebui_exe() -> Path:
    """`open-webui` in the test venv; raises naming scripts/setup-test-env.sh if it is missing."""
    return procs.venv_bin("openwebui", "open-webui")


class HTTPError(RuntimeError):
    def __init__(self, method: str, url: str, status: int, body: Any):
        super().__init__(f"{method} {url} -> HTTP {status}: {str(body)[:300]}")
        self.status = status
        self.body = body


def http_json(method: str, url: str, body: Any = None, token: str | None = None,
              timeout: float = 120.0, headers: Mapping[str, str] | None = None) -> Any:
    """A small JSON client on urllib (the test venv's own Python has no `requests` guarantee)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw.decode(errors="replace")
        raise HTTPError(method, url, e.code, parsed) from None
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


@dataclass
class Session:
    """A signed-in user: the JWT is what the browser holds; the API key is for scripts."""
    email: str
    password: str
    token: str
    role: str
    id: str
    name: str

    def __repr__(self) -> str:  # keep secrets out of pytest output
        return f"Session(email={self.email!r}, role={self.role!r})"


class OpenWebUI:
    """The real Open WebUI server on 127.0.0.1:<free port> with a fresh data directory."""

    def __init__(self, *, openai_base_url: str, openai_api_key: str,
                 extra_env: Mapping[str, str] | None = None, port: int | None = None,
                 data_dir: str | os.PathLike | None = None, log_dir: str | os.PathLike | None = None,
                 timeout: float = 240.0, keep_data: bool = False):
        self.openai_base_url = openai_base_url
        self.openai_api_key = openai_api_key
        self.extra_env = dict(extra_env or {})
        self.port = port or procs.free_port()
        self._own_data = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="owui-router-owui-data-"))
        self.log_dir = Path(log_dir or self.data_dir)
        self.timeout = timeout
        self.keep_data = keep_data
        self.secret_key = secrets.token_hex(24)
        self.proc: procs.Proc | None = None
        self.start_seconds: float | None = None

    # ------------------------------------------------------------------ process
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_STRIP_PREFIXES)}
        for k in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"):
            env.pop(k, None)
        env.update({
            "DATA_DIR": str(self.data_dir),
            "WEBUI_SECRET_KEY": self.secret_key,
            "OFFLINE_MODE": "true",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "RAG_EMBEDDING_ENGINE": "openai",
            "ENABLE_OLLAMA_API": "false",
            "ENABLE_OPENAI_API": "true",
            "OPENAI_API_BASE_URL": self.openai_base_url,
            "OPENAI_API_KEY": self.openai_api_key,
            "ENABLE_API_KEYS": "true",
            "ENABLE_VERSION_UPDATE_CHECK": "false",
            "ENABLE_TITLE_GENERATION": "false",
            "ENABLE_TAGS_GENERATION": "false",
            "ENABLE_FOLLOW_UP_GENERATION": "false",
            "ENABLE_AUTOCOMPLETE_GENERATION": "false",
            "ENABLE_RETRIEVAL_QUERY_GENERATION": "false",
            "ENABLE_SEARCH_QUERY_GENERATION": "false",
            "ANONYMIZED_TELEMETRY": "false",
            "DO_NOT_TRACK": "true",
            "SCARF_NO_ANALYTICS": "true",
            "USER_AGENT": "owui-router-filter-tests",
            "GLOBAL_LOG_LEVEL": "INFO",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        })
        env.update(self.extra_env)
        return env

    def start(self) -> "OpenWebUI":
        exe = openwebui_exe()
        t0 = time.monotonic()
        self.proc = procs.start_process(
            [str(exe), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            name="open-webui", env=self.env(), cwd=self.data_dir, log_dir=self.log_dir,
        )
        try:
            procs.wait_http(self.url + "/health", self.proc, timeout=self.timeout, interval=0.5)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - t0
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
        if self._own_data and not self.keep_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> "OpenWebUI":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def log_text(self) -> str:
        return self.proc.log_path.read_text(errors="replace") if self.proc else ""

    # ------------------------------------------------------------------ API helpers
    def api(self, method: str, path: str, body: Any = None, token: str | None = None, **kw) -> Any:
        return http_json(method, self.url + path, body, token=token, **kw)

    def signup_admin(self, email: str = ADMIN_EMAIL, password: str | None = None,
                     name: str = ADMIN_NAME) -> Session:
        """The first sign-up on a fresh server becomes the admin."""
        password = password or "Adm1n-" + secrets.token_urlsafe(12)
        d = self.api("POST", "/api/v1/auths/signup", {"name": name, "email": email, "password": password})
        if d.get("role") != "admin":
            raise RuntimeError(f"first sign-up did not become admin: role {d.get('role')!r}")
        return Session(email, password, d["token"], d["role"], d["id"], d["name"])

    def signin(self, email: str, password: str) -> Session:
        d = self.api("POST", "/api/v1/auths/signin", {"email": email, "password": password})
        return Session(email, password, d["token"], d["role"], d["id"], d["name"])

    def add_user(self, admin: Session, email: str, password: str | None = None,
                 name: str = "Test User", role: str = "user") -> Session:
        """An admin adds a user (sign-up is closed after the first admin)."""
        password = password or "Us3r-" + secrets.token_urlsafe(12)
        self.api("POST", "/api/v1/auths/add",
                 {"name": name, "email": email, "password": password, "role": role}, token=admin.token)
        return self.signin(email, password)

    def create_api_key(self, session: Session) -> str:
        d = self.api("POST", "/api/v1/auths/api_key", token=session.token)
        key = d.get("api_key") if isinstance(d, dict) else None
        if not key or not key.startswith("sk-"):
            raise RuntimeError("Open WebUI did not return an API key")
        return key

    def model_ids(self, token: str) -> list[str]:
        d = self.api("GET", "/api/models", token=token)
        return [m["id"] for m in d.get("data", [])]

    def wait_models(self, token: str, wanted: list[str], timeout: float = 60.0) -> list[str]:
        """Open WebUI fetches the connection's models lazily; wait until `wanted` are listed."""
        deadline = time.monotonic() + timeout
        ids: list[str] = []
        while time.monotonic() < deadline:
            try:
                ids = self.model_ids(token)
            except HTTPError:
                ids = []
            if all(w in ids for w in wanted):
                return ids
            time.sleep(1.0)
        raise RuntimeError(f"Open WebUI lists {ids}, not all of {wanted}; log:\n{self.proc.log_tail() if self.proc else ''}")

    def chat(self, token: str, model: str, messages: list, stream: bool = False, timeout: float = 120.0,
             **extra) -> Any:
        body = {"model": model, "messages": messages, "stream": stream, **extra}
        return self.api("POST", "/api/chat/completions", body, token=token, timeout=timeout)

    def functions(self, token: str) -> list[dict]:
        return self.api("GET", "/api/v1/functions/", token=token)
