"""Process helpers for tests that start real servers.

- free_port(): a free TCP port on 127.0.0.1, picked at run time.
- venv_dir(name) / venv_bin(name, exe): the test virtual environments (`OWUI_ROUTER_VENVS`,
  default <repo>/.venvs); a missing one raises RuntimeError naming scripts/setup-test-env.sh,
  so the test FAILS with a clear message (never skips).
- start_process(...): a subprocess in its own process group, output to a log file.
- wait_http(...): poll an HTTP URL until it answers; on timeout raise with the log tail.
- Proc.stop(): SIGTERM to the whole group, then SIGKILL after a grace period.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Mapping, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = "scripts/setup-test-env.sh"


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venvs_root() -> Path:
    return Path(os.environ.get("OWUI_ROUTER_VENVS") or (REPO_ROOT / ".venvs"))


def venv_dir(name: str) -> Path:
    """Path of the test venv `name` (litellm, openwebui); raises if it is missing."""
    d = venvs_root() / name
    if not (d / "bin" / "python").exists():
        what = {"openwebui": "openwebui"}.get(name, name)
        raise RuntimeError(
            f"test virtual environment {d} is missing; run `{SETUP_SCRIPT} {what}` "
            f"(or set OWUI_ROUTER_VENVS to the directory holding it)"
        )
    return d


def venv_bin(name: str, exe: str) -> Path:
    """Executable `exe` inside the test venv `name`; raises with a setup hint if missing."""
    p = venv_dir(name) / "bin" / exe
    if not p.exists():
        raise RuntimeError(f"{p} is missing; run `{SETUP_SCRIPT} {name}`")
    return p


class Proc:
    """A started subprocess (own process group) with its log file."""

    def __init__(self, popen: subprocess.Popen, log_path: Path, name: str):
        self.popen = popen
        self.log_path = Path(log_path)
        self.name = name

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    def kill_hard(self) -> None:
        """SIGKILL the whole process group at once (simulates a crashed server)."""
        _signal_group(self.popen.pid, signal.SIGKILL)
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def stop(self, grace: float = 8.0) -> None:
        """SIGTERM the process group, wait up to `grace` s, then SIGKILL it. Idempotent."""
        if self.popen.poll() is None:
            _signal_group(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        # children may outlive the leader: always sweep the group
        _signal_group(self.popen.pid, signal.SIGKILL)
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def __enter__(self) -> "Proc":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def start_process(
    cmd: Sequence[str],
    *,
    name: str,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike | None = None,
    log_dir: str | os.PathLike | None = None,
) -> Proc:
    """Start `cmd` in a new session/process group; stdout+stderr go to <log_dir>/<name>.log.

    `env` is the COMPLETE environment (pass {**os.environ, ...} to inherit). Secrets belong in
    env, never in `cmd`.
    """
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="owui-router-logs-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = open(log_path, "ab")
    try:
        popen = subprocess.Popen(
            list(map(str, cmd)),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=str(cwd) if cwd else None,
            start_new_session=True,
        )
    finally:
        log.close()
    return Proc(popen, log_path, name)


def wait_http(url: str, proc: Proc | None = None, timeout: float = 60.0, interval: float = 0.25,
              ok_status: Sequence[int] = (200,), headers: Mapping[str, str] | None = None) -> None:
    """Poll GET `url` until it answers with one of `ok_status`.

    Raises RuntimeError with the process log tail if `proc` dies or `timeout` passes.
    """
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError(
                f"{proc.name} exited with code {proc.popen.returncode} before {url} answered; "
                f"log {proc.log_path}:\n{proc.log_tail()}"
            )
        try:
            req = urllib.request.Request(url, headers=dict(headers or {}))
            with urllib.request.urlopen(req, timeout=5) as r:
                if r.status in ok_status:
                    return
                last = f"HTTP {r.status}"
        except urllib.error.HTTPError as e:
            if e.code in ok_status:
                return
            last = f"HTTP {e.code}"
        except (urllib.error.URLError, OSError) as e:
            last = repr(e)
        time.sleep(interval)
    tail = f"; log {proc.log_path}:\n{proc.log_tail()}" if proc is not None else ""
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s (last: {last}){tail}")


def start_ollama_stub(name: str, *, port: int | None = None, fail_models: Sequence[str] = (),
                      delay: float = 0.0, log_dir: str | os.PathLike | None = None,
                      timeout: float = 20.0, **behaviours) -> tuple[Proc, str]:
    """Run tests/support/ollama_stub.py as a subprocess (so a test can kill it hard).

    `behaviours`: hang, hang_all, load_seconds, die_after_chunks, token_delay, reply_words
    (the stand-in's CLI flags; they can also be changed later through /_control).
    Returns (proc, base_url). The caller must proc.stop() it (use try/finally or a fixture).
    """
    port = port or free_port()
    cmd = [sys.executable, str(Path(__file__).with_name("ollama_stub.py")),
           "--port", str(port), "--name", name, "--delay", str(delay)]
    if fail_models:
        cmd += ["--fail-models", ",".join(fail_models)]
    for key, value in behaviours.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            cmd += [flag] if value else []
        elif value is not None:
            cmd += [flag, str(value)]
    proc = start_process(cmd, name=f"ollama-stub-{name}", env=dict(os.environ), log_dir=log_dir)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/api/version", proc, timeout=timeout)
    except BaseException:
        proc.stop()
        raise
    return proc, url
