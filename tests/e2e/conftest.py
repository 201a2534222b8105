"""The real stack, started ONCE per pytest session and shared by every test in tests/e2e/:

    two Ollama stand-ins (inst-a, inst-b; subprocesses, so a test can kill one hard)
    -> the real LiteLLM proxy (.venvs/litellm) with the repository's litellm_config.reasoning.yaml:
       litellm_config.yaml (included, unchanged) plus the optional gpt-reasoning group, so that
       routes of an admin reach a fifth model (the default file alone runs in tests/test_stack.py
       and in the Docker tier)
    -> the real Open WebUI (.venvs/openwebui), fresh DATA_DIR, offline settings
    -> the router function installed by our installer (scripts/install-router.py).

Only the Ollama servers are stand-ins. Everything is bound to 127.0.0.1 on free ports and
stopped at the end of the session, also when a test fails. Start times and the number of
requests each model/instance answered are printed in the terminal summary.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from support import procs
from support.litellm_proxy import LiteLLMProxy
from support.openwebui import OpenWebUI, Session, http_json

REPO = procs.REPO_ROOT
INSTALL_SCRIPT = REPO / "scripts" / "install-router.py"
FUNCTION_FILE = REPO / "functions" / "router_filter.py"
FUNCTION_ID = "router_filter"
ALIASES = ["gpt-chat", "gpt-code", "gpt-vision", "gpt-backup", "gpt-reasoning"]
LITELLM_CONFIG = REPO / "litellm_config.reasoning.yaml"
# what the stand-ins have pulled: every model litellm_config.reasoning.yaml names
STUB_MODELS = "llama3,deepseek-coder,llava,mistral,deepseek-r1"
INSTANCES = ("inst-a", "inst-b")

# filled while the session runs, printed by pytest_terminal_summary
REPORT: dict = {"timings": {}, "counts": Counter(), "images": Counter()}


class Stack:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.stubs: dict[str, tuple[procs.Proc, str, int]] = {}
        self.proxy: LiteLLMProxy | None = None
        self.owui: OpenWebUI | None = None
        self.admin: Session | None = None
        self.api_key: str = ""
        self._retired = Counter()  # requests answered by stub processes that were killed
        self._retired_images = Counter()

    # -------------------------------------------------------------- lifecycle
    def start(self) -> "Stack":
        if not FUNCTION_FILE.exists():
            raise RuntimeError(f"{FUNCTION_FILE} is missing; build it with `owui-router build`")
        t0 = time.monotonic()
        for name in INSTANCES:
            self.start_stub(name)
        REPORT["timings"]["ollama stand-ins"] = time.monotonic() - t0

        self.proxy = LiteLLMProxy(self.stubs["inst-a"][1], self.stubs["inst-b"][1], config=LITELLM_CONFIG,
                                  log_dir=self.workdir / "litellm", timeout=180)
        self.owui = OpenWebUI(openai_base_url=self.proxy.url + "/v1", openai_api_key=self.proxy.master_key,
                              log_dir=self.workdir / "openwebui", timeout=300)
        # Start both heavy servers at once: on 2 cores this saves ~10 s of the session.
        errors: list[BaseException] = []

        def run(label, fn):
            t = time.monotonic()
            try:
                fn()
                REPORT["timings"][label] = time.monotonic() - t
            except BaseException as e:  # re-raised below
                errors.append(e)

        threads = [threading.Thread(target=run, args=("litellm proxy", self.proxy.start)),
                   threading.Thread(target=run, args=("open-webui", self.owui.start))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

        self.admin = self.owui.signup_admin()
        self.api_key = self.owui.create_api_key(self.admin)
        self.owui.wait_models(self.admin.token, ALIASES)
        rc, out, err = self.install()
        if rc != 0:
            raise RuntimeError(f"installer failed (rc {rc}): {err or out}")
        REPORT["timings"]["stack ready (total)"] = time.monotonic() - t0
        return self

    def stop(self) -> None:
        try:
            for name in list(self.stubs):
                self._retire(name)
        except Exception:
            pass
        REPORT["counts"].update(self._retired)
        REPORT["images"].update(self._retired_images)
        for thing in (self.owui, self.proxy):
            try:
                if thing is not None:
                    thing.stop()
            except Exception:
                pass
        for proc, _, _ in self.stubs.values():
            proc.stop()

    # -------------------------------------------------------------- stand-ins
    def start_stub(self, name: str, port: int | None = None) -> None:
        proc, url = procs.start_ollama_stub(name, port=port, log_dir=self.workdir / "stubs", models=STUB_MODELS)
        self.stubs[name] = (proc, url, int(url.rsplit(":", 1)[1]))

    def stub_stats(self, name: str) -> dict:
        return http_json("GET", self.stubs[name][1] + "/_stats", timeout=10)

    def _retire(self, name: str) -> None:
        proc, url, _ = self.stubs[name]
        if proc.alive():
            st = self.stub_stats(name)
            for model, n in (st.get("requests") or {}).items():
                self._retired[(name, model)] += n
            self._retired_images[name] += st.get("images", 0)

    def kill_stub(self, name: str) -> None:
        self._retire(name)
        self.stubs[name][0].kill_hard()

    def restart_stub(self, name: str) -> None:
        port = self.stubs[name][2]
        self.stubs[name][0].stop()
        self.start_stub(name, port=port)

    def counts(self) -> Counter:
        """(instance, model) -> requests answered so far by the live stand-ins."""
        c = Counter()
        for name, (proc, _, _) in self.stubs.items():
            if proc.alive():
                for model, n in (self.stub_stats(name).get("requests") or {}).items():
                    c[(name, model)] += n
        return c

    def images(self) -> Counter:
        return Counter({name: self.stub_stats(name).get("images", 0)
                        for name, (proc, _, _) in self.stubs.items() if proc.alive()})

    # -------------------------------------------------------------- installer
    def installer_env(self, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OWUI_")}
        env.update({"OWUI_URL": self.owui.url, "OWUI_API_KEY": self.api_key})
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def install(self, *args: str, env: dict | None = None, command: str = "install",
                timeout: float = 120) -> tuple[int, str, str]:
        """Run scripts/install-router.py as a user would (a subprocess); returns rc, stdout, stderr."""
        cmd = [sys.executable, str(INSTALL_SCRIPT), command, *args]
        r = subprocess.run(cmd, env=env or self.installer_env(), capture_output=True, text=True,
                           timeout=timeout, cwd=str(REPO))
        return r.returncode, r.stdout, r.stderr

    # -------------------------------------------------------------- Open WebUI
    def function(self) -> dict | None:
        fns = [f for f in self.owui.functions(self.admin.token) if f["id"] == FUNCTION_ID]
        return fns[0] if fns else None

    def chat(self, model: str, content, *, token: str | None = None, history: list | None = None,
             stream: bool = False, timeout: float = 120) -> "Reply":
        messages = list(history or []) + [{"role": "user", "content": content}]
        before = self.counts()
        before_img = self.images()
        body = {"model": model, "messages": messages, "stream": stream}
        req = urllib.request.Request(self.owui.url + "/api/chat/completions", data=json.dumps(body).encode(),
                                     method="POST")
        req.add_header("Content-Type", "application/json")
        req.add_header("Authorization", f"Bearer {token or self.api_key}")
        t = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, ctype, raw = r.status, r.headers.get("Content-Type", ""), r.read().decode()
        except urllib.error.HTTPError as e:
            status, ctype, raw = e.code, e.headers.get("Content-Type", ""), e.read().decode(errors="replace")
        seconds = time.monotonic() - t
        delta = self.counts() - before
        return Reply(status, ctype, raw, stream, delta, self.images() - before_img, seconds)


class Reply:
    def __init__(self, status, ctype, raw, stream, delta, images, seconds):
        self.status, self.ctype, self.raw, self.stream = status, ctype, raw, stream
        self.delta, self.images, self.seconds = delta, images, seconds
        self.chunks: list[dict] = []
        self.body: dict = {}
        if status == 200 and stream:
            for line in raw.splitlines():
                line = line.strip()
                if line.startswith("data:") and line[5:].strip() not in ("", "[DONE]"):
                    try:
                        self.chunks.append(json.loads(line[5:]))
                    except ValueError:
                        pass
        elif raw:
            try:
                self.body = json.loads(raw)
            except ValueError:
                self.body = {}

    @property
    def text(self) -> str:
        if self.stream:
            return "".join(
                (c.get("choices") or [{}])[0].get("delta", {}).get("content") or ""
                for c in self.chunks if c.get("choices")
            )
        try:
            return self.body["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            return ""

    @property
    def model(self) -> str:
        if self.stream:
            return next((c.get("model") for c in self.chunks if c.get("model")), "")
        return self.body.get("model", "")

    def answered_by(self) -> set[str]:
        """The Ollama models that received the request (from the stand-ins' counters)."""
        return {model for (_, model), n in self.delta.items() if n}

    def instances(self) -> set[str]:
        return {inst for (inst, _), n in self.delta.items() if n}

    def __repr__(self) -> str:
        return (f"Reply(status={self.status}, model={self.model!r}, answered_by={sorted(self.answered_by())}, "
                f"text={self.text[:120]!r}, raw={self.raw[:200]!r})")


@pytest.fixture(scope="session")
def stack():
    workdir = Path(tempfile.mkdtemp(prefix="owui-router-e2e-"))
    s = Stack(workdir)
    try:
        s.start()
        yield s
    finally:
        s.stop()  # adds every stand-in's totals (also of killed ones) to REPORT
        REPORT["workdir"] = str(workdir)


@pytest.fixture
def installed(stack):
    """The router installed in its default shape (function on, not global, model 'auto').

    Runs the installer in-process (the same code as the script, without a new interpreter per
    test); the tests of the script itself run it as a subprocess."""
    from owui_router_filter.tools import install

    out = io.StringIO()
    try:
        rc = install.run(["install"], env=stack.installer_env(), out=out)
    except install.InstallError as e:
        pytest.fail(f"installer failed: {e}")
    assert rc == 0, out.getvalue()
    fn = stack.function()
    assert fn and fn["is_active"] and not fn["is_global"], fn
    return stack


def pytest_terminal_summary(terminalreporter):
    if not REPORT["timings"]:
        return
    tr = terminalreporter
    tr.section("owui-router e2e stack")
    for label, seconds in REPORT["timings"].items():
        tr.write_line(f"{label:<24} started in {seconds:6.1f} s")
    if REPORT["counts"]:
        tr.write_line("requests answered per instance/model (Ollama stand-ins, whole session):")
        for (inst, model), n in sorted(REPORT["counts"].items()):
            tr.write_line(f"  {inst:<8} {model:<16} {n:4d}")
        tr.write_line(f"  images received: {dict(REPORT['images'])}")
