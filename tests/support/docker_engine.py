"""The Docker engine of the test tier and a way in to its published ports.

scripts/docker-engine.sh runs Debian's dockerd in a network namespace of its own (no uplink, no
default route): containers reach each other and ports published inside that namespace, nothing
reaches past the machine. The tests talk to a published port through NetnsForwarder, which
listens on 127.0.0.1 here and opens each upstream connection from a thread that has joined the
engine's namespace (setns), so every byte stays on loopback and in the namespace.

    start_engine()            # FAILS the test (never skips) when the engine cannot start
    with NetnsForwarder(3000) as fwd:  fwd.url -> http://127.0.0.1:<free port>
    stop_engine()
"""
from __future__ import annotations

import ctypes
import os
import queue
import shutil
import socket
import subprocess
import threading
from pathlib import Path

from .procs import REPO_ROOT

ENGINE_SCRIPT = REPO_ROOT / "scripts" / "docker-engine.sh"
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-standin-images.sh"
NETNS = os.environ.get("OWUI_DOCKER_NETNS", "owui-router-docker")
SOCKET = Path(os.environ.get("OWUI_DOCKER_RUN", "/run/owui-router-docker")) / "docker.sock"
DOCKER_HOST = f"unix://{SOCKET}"
STANDIN_IMAGES = (
    "owui-router-standin/ollama:0.12.6",
    "owui-router-standin/curl:8.11.1",
    "owui-router-standin/litellm:v1.108.0",
    "owui-router-standin/open-webui:v0.12.4",
)
CLONE_NEWNET = 0x40000000


class EngineError(RuntimeError):
    pass


def docker_env(**extra: str) -> dict:
    """A clean environment for docker / docker-compose against the test engine (nothing from
    the developer's shell: no DOCKER_*, no COMPOSE_*, no secrets)."""
    env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root"),
           "DOCKER_HOST": DOCKER_HOST, "COMPOSE_HTTP_TIMEOUT": "300"}
    env.update(extra)
    return env


def run(cmd, *, timeout: float = 300, check: bool = True, env: dict | None = None, cwd=None,
        input: str | None = None) -> subprocess.CompletedProcess:
    p = subprocess.run(list(map(str, cmd)), capture_output=True, text=True, timeout=timeout,
                       env=env or docker_env(), cwd=cwd, input=input)
    if check and p.returncode != 0:
        raise EngineError(f"{' '.join(map(str, cmd))} -> exit {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p


def start_engine() -> None:
    for exe in ("dockerd", "docker", "docker-compose", "nsenter", "ip"):
        if not shutil.which(exe):
            raise EngineError(f"{exe} is not installed; run `scripts/setup-test-env.sh docker`")
    run(["bash", str(ENGINE_SCRIPT), "start"], timeout=120)
    missing = [img for img in STANDIN_IMAGES
               if run(["docker", "image", "inspect", img], check=False).returncode != 0]
    if missing:
        raise EngineError(f"stand-in images missing on the test engine: {missing}; run "
                          f"`scripts/setup-test-env.sh docker` (scripts/build-standin-images.sh)")


def stop_engine() -> None:
    run(["bash", str(ENGINE_SCRIPT), "stop"], timeout=120, check=False)


def in_netns(cmd, timeout: float = 30) -> subprocess.CompletedProcess:
    """Run a command in the engine's network namespace (e.g. `ip route`)."""
    return run(["nsenter", f"--net=/run/netns/{NETNS}", "--", *cmd], timeout=timeout, check=False)


class NetnsForwarder:
    """127.0.0.1:<free port> here -> 127.0.0.1:`port` inside the engine's network namespace."""

    def __init__(self, port: int, netns: str = NETNS):
        self.target = port
        self.netns = netns
        self._q: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "NetnsForwarder":
        threading.Thread(target=self._connector, daemon=True, name="netns-connector").start()
        self._ready.wait(10)
        if self._error:
            raise EngineError(f"cannot join network namespace {self.netns}: {self._error}")
        threading.Thread(target=self._acceptor, daemon=True, name="netns-acceptor").start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._q.put(None)
        try:
            self.lsock.close()
        except OSError:
            pass

    def _connector(self) -> None:
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            fd = os.open(f"/run/netns/{self.netns}", os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
            finally:
                os.close(fd)
        except BaseException as e:  # noqa: BLE001 - reported to __enter__
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        while True:
            client = self._q.get()
            if client is None:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _acceptor(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.lsock.accept()
            except OSError:
                return
            self._q.put(client)

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
                try:
                    s.shutdown(how)
                except OSError:
                    pass
