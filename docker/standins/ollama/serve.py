"""`ollama serve` of the Ollama stand-in image: the project's Ollama stand-in server
(ollama_stub.py, a copy of tests/support/ollama_stub.py) on $OLLAMA_HOST, with the models it has
pulled kept in /root/.ollama/models/standin-models.json, so that they survive a container
re-creation on the same volume like real model files do.

A new volume starts with NO model (like a new Ollama): the ollama-pull job has to pull them.
Every reply names the instance: the container's DNS name on the compose network (e.g.
`proj_ollama-a_1`, from a reverse lookup of its own address; the hostname if that fails) and
the model, e.g. "[proj_ollama-a_1 deepseek-coder] reply to: ...".
"""
from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ollama_stub import OllamaStub  # noqa: E402

STATE = Path(os.environ.get("OLLAMA_MODELS", "/root/.ollama/models")) / "standin-models.json"


def _ptr(ip: str, server: str = "127.0.0.11", timeout: float = 2.0) -> str:
    """Reverse-resolve `ip` with one DNS PTR query to Docker's embedded DNS server (which knows the
    container names), bypassing /etc/hosts (where the address maps to the bare hostname)."""
    qname = b"".join(bytes([len(p)]) + p.encode() for p in [*reversed(ip.split(".")), "in-addr", "arpa"]) + b"\0"
    query = struct.pack(">HHHHHH", 0x4F57, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", 12, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(query, (server, 53))
        data = s.recv(4096)
    if struct.unpack(">H", data[6:8])[0] < 1:
        raise OSError("no PTR answer")

    def name_at(off: int) -> tuple[str, int]:
        labels, end = [], None
        while data[off]:
            if data[off] & 0xC0 == 0xC0:
                end = end or off + 2
                off = struct.unpack(">H", data[off:off + 2])[0] & 0x3FFF
                continue
            labels.append(data[off + 1:off + 1 + data[off]].decode())
            off += 1 + data[off]
        return ".".join(labels), (end or off + 1)

    _, off = name_at(12)
    off += 4  # qtype, qclass
    _, off = name_at(off)
    off += 10  # type, class, ttl, rdlength
    return name_at(off)[0]


def instance_name() -> str:
    """The container's name on the compose network, e.g. proj_ollama-a_1 (hostname if unknown)."""
    host = socket.gethostname()
    for _ in range(20):
        try:
            name = _ptr(socket.gethostbyname(host)).split(".")[0]
            if name:
                return name
        except (OSError, IndexError, struct.error, UnicodeDecodeError):
            pass
        time.sleep(0.25)
    return host


def load_models() -> list:
    try:
        return list(json.loads(STATE.read_text())["models"])
    except (OSError, ValueError, KeyError, TypeError):
        return []


def save_models(models: list) -> None:
    STATE.parent.mkdir(parents=True, exist_ok=True)
    tmp = STATE.with_suffix(".tmp")
    tmp.write_text(json.dumps({"models": models}))
    os.replace(tmp, STATE)


def main() -> int:
    hostport = os.environ.get("OLLAMA_HOST", "0.0.0.0:11434")
    host, _, port = hostport.rpartition(":")
    models = load_models()
    stub = OllamaStub(name=instance_name(), host=host or "0.0.0.0", port=int(port or 11434), models=models)
    stub.start()
    print(f"ollama stand-in {stub.name} listening on {hostport} with {len(models)} model(s): {models}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    saved = list(models)
    while not stop.wait(0.2):
        now = stub.stats()["models"]
        if now != saved:
            save_models(now)
            saved = list(now)
            print(f"models now: {now}", flush=True)
    save_models(stub.stats()["models"])
    stub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
