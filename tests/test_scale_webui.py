"""The whole scaled stack with real parts: two Open WebUI replicas on one Postgres and one Redis,
behind them nginx (deploy/nginx/litellm-lb.conf) and two LiteLLM proxies sharing Redis, and two
Ollama stand-ins.

    Open WebUI #1 --+                        +-- LiteLLM #1 --+-- ollama-a (stand-in)
                    +-- nginx litellm-lb ----+                |
    Open WebUI #2 --+                        +-- LiteLLM #2 --+-- ollama-b (stand-in)
      Postgres (DATABASE_URL), Redis db 1 (REDIS_URL, WEBSOCKET_MANAGER=redis), same WEBUI_SECRET_KEY
      LiteLLM: Redis db 0 through REDIS_HOST/REDIS_PORT/REDIS_PASSWORD

Proves what compose.scale.yaml relies on: the second replica shares users, sessions, the router
function and the `auto` model installed once through the first, and routes with them.

Postgres is Debian's (postgresql 15): a fresh cluster per run in a temp dir, on a free loopback
port, password authentication. Open WebUI gets `postgresql+psycopg://` because the test venv has
psycopg 3 only (the Docker image also has psycopg2 for the `postgresql://` of compose.scale.yaml).
Each replica gets its own DATA_DIR here (no uploads are used); in compose they share a volume.
"""
from __future__ import annotations

import concurrent.futures as cf
import glob
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from support import procs
from support.litellm_proxy import LiteLLMProxy
from support.ollama_stub import remote_control, remote_stats
from support.openwebui import OpenWebUI
from test_scale import NginxLB, RedisServer

pytestmark = pytest.mark.scale

REPO = procs.REPO_ROOT
PG_HINT = "run `scripts/setup-test-env.sh debian` (installs postgresql)"


def pg_bin(exe: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{exe}")) or ([shutil.which(exe)] if shutil.which(exe) else [])
    if not found:
        pytest.fail(f"PostgreSQL's {exe} is not installed; {PG_HINT}", pytrace=False)
    return found[-1]


class Postgres:
    """A throw-away PostgreSQL cluster on 127.0.0.1:<free port> (initdb refuses root: runs as `postgres`)."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = procs.free_port()
        self.user, self.password = "openwebui", secrets.token_hex(12)
        self.data, self.sock = workdir / "data", workdir / "sock"
        self.proc: procs.Proc | None = None
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail(f"running as root and there is no `postgres` user; {PG_HINT}", pytrace=False)
            self.run_as = ["runuser", "-u", "postgres", "--"]

    def start(self) -> "Postgres":
        self.sock.mkdir(parents=True)
        pwfile = self.workdir / "pw"
        pwfile.write_text(self.password + "\n")
        if self.run_as:
            shutil.chown(self.workdir, "postgres")
            for p in (self.sock, pwfile):
                shutil.chown(p, "postgres")
        pwfile.chmod(0o600)
        r = subprocess.run(self.run_as + [pg_bin("initdb"), "-D", str(self.data), "-U", self.user, f"--pwfile={pwfile}",
                                          "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
                           capture_output=True, text=True, timeout=120)
        pwfile.unlink()
        assert r.returncode == 0, f"initdb failed:\n{r.stdout}\n{r.stderr}"
        self.proc = procs.start_process(
            self.run_as + [pg_bin("postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.sock),
                           "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"],
            name="postgres", env=dict(os.environ), log_dir=self.workdir)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not self.proc.alive():
                raise RuntimeError(f"postgres exited:\n{self.proc.log_tail()}")
            ok = subprocess.run([pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                                capture_output=True).returncode == 0
            if ok:
                return self
            time.sleep(0.3)
        raise RuntimeError(f"postgres did not become ready:\n{self.proc.log_tail()}")

    def url(self, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{self.user}:{self.password}@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()


@pytest.fixture(scope="module")
def scaled():
    wd = Path(tempfile.mkdtemp(prefix="owui-router-scale-webui-"))
    wd.chmod(0o755)
    started: list = []
    try:
        (wd / "redis").mkdir()
        redis = RedisServer(wd / "redis")
        pg = Postgres(wd / "pg")
        started += [redis.start(), pg.start()]
        stub_a, url_a = procs.start_ollama_stub("ollama-a", log_dir=wd)
        stub_b, url_b = procs.start_ollama_stub("ollama-b", log_dir=wd)
        started += [stub_a, stub_b]
        key = "sk-scale-" + secrets.token_hex(8)
        proxies = [LiteLLMProxy(url_a, url_b, master_key=key, extra_env=redis.env(), log_dir=wd / f"litellm-{i}",
                                name=f"litellm-{i}", timeout=180) for i in (1, 2)]
        started += proxies
        with cf.ThreadPoolExecutor(2) as ex:
            list(ex.map(lambda p: p.start(), proxies))
        (wd / "nginx").mkdir()
        lb = NginxLB(wd / "nginx", [p.port for p in proxies])
        started.append(lb.start())
        # Open WebUI: what compose.scale.yaml sets (x-webui-scaled-env), pointed at loopback
        redis_url = f"redis://:{redis.password}@127.0.0.1:{redis.port}/1"
        scaled_env = {
            "DATABASE_URL": pg.url(),
            "REDIS_URL": redis_url,
            "ENABLE_WEBSOCKET_SUPPORT": "true",
            "WEBSOCKET_MANAGER": "redis",
            "WEBSOCKET_REDIS_URL": redis_url,
        }
        secret = secrets.token_hex(24)
        webuis = []
        for i in (1, 2):  # one after the other: the first one runs the database migrations
            w = OpenWebUI(openai_base_url=lb.url + "/v1", openai_api_key=key, extra_env=scaled_env,
                          log_dir=wd / f"webui-{i}", timeout=300)
            (wd / f"webui-{i}").mkdir()
            w.secret_key = secret  # WEBUI_SECRET_KEY: the same on every replica
            started.append(w)
            webuis.append(w.start())
        yield {"redis": redis, "pg": pg, "a": url_a, "b": url_b, "proxies": proxies, "lb": lb,
               "w1": webuis[0], "w2": webuis[1], "key": key}
    finally:
        for thing in reversed(started):
            thing.stop()
        shutil.rmtree(wd, ignore_errors=True)


def owui_chat(w: OpenWebUI, token: str, model: str, text: str) -> requests.Response:
    return requests.post(w.url + "/api/chat/completions", timeout=120, headers={"Authorization": f"Bearer {token}"},
                         json={"model": model, "stream": False, "messages": [{"role": "user", "content": text}]})


@pytest.fixture(scope="module")
def admin(scaled):
    return scaled["w1"].signup_admin()


def test_replicas_share_users_and_sessions(scaled, admin):
    w1, w2 = scaled["w1"], scaled["w2"]
    me = w2.api("GET", "/api/v1/auths/", token=admin.token)  # a session made on replica 1
    assert me["id"] == admin.id and me["role"] == "admin"
    again = w2.signin(admin.email, admin.password)  # the account lives in the shared Postgres
    assert again.id == admin.id
    assert w1.api("GET", "/api/v1/auths/", token=again.token)["id"] == admin.id
    # replica 2 found the database already migrated and seeded by replica 1
    assert "Running upgrade" in w1.log_text() and "Running upgrade" not in w2.log_text()


def test_open_webui_state_in_redis_db1_litellm_in_db0(scaled, admin):
    redis = scaled["redis"]
    owui_keys = [k for k in redis.cli("-n", "1", "KEYS", "*").split("\n") if k]
    assert owui_keys and all(k.startswith("open-webui") for k in owui_keys), owui_keys
    assert not [k for k in redis.keys("*") if k.startswith("open-webui")]


def test_router_installed_once_routes_on_both_replicas(scaled, admin, capsys):
    """The compose job installs the filter through replica 1; replica 2 routes with it."""
    w1, w2, a, b, lb = scaled["w1"], scaled["w2"], scaled["a"], scaled["b"], scaled["lb"]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("OWUI_")},
           "OWUI_URL": w1.url, "OWUI_ADMIN_EMAIL": admin.email, "OWUI_ADMIN_PASSWORD": admin.password}
    r = subprocess.run([sys.executable, str(REPO / "scripts" / "install-router.py"), "install", "--wait", "60"],
                       env=env, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, f"installer failed:\n{r.stdout}\n{r.stderr}"
    assert admin.password not in r.stdout + r.stderr
    fn = w2.api("GET", "/api/v1/functions/id/router_filter", token=admin.token)
    assert fn["is_active"] and "class Filter" in fn["content"]
    ids = {m["id"] for m in w2.api("GET", "/api/models", token=admin.token)["data"]}
    assert {"auto", "gpt-code", "gpt-chat"} <= ids, ids

    for stub in (a, b):
        remote_control(stub, reset=True)
    offset = lb.access_log.stat().st_size
    answers = {}
    for name, w in (("replica 2", w2), ("replica 1", w1)):
        code = owui_chat(w, admin.token, "auto",
                         "Fix this Python error: Traceback (most recent call last): File \"app.py\", line 3, "
                         "in <module> def load(): return json.loads(data) NameError: name 'json' is not defined")
        chat = owui_chat(w, admin.token, "auto", "What are some good ideas for a weekend trip with kids in autumn?")
        for resp in (code, chat):
            assert resp.status_code == 200, resp.text[:500]
        answers[name] = (code.json()["choices"][0]["message"]["content"],
                         chat.json()["choices"][0]["message"]["content"])
    with capsys.disabled():
        for name, (c, t) in answers.items():
            print(f"\n[scale] Open WebUI {name}: code prompt -> {c[:40]!r}; chat prompt -> {t[:40]!r}")
    for name, (c, t) in answers.items():
        assert re.match(r"\[ollama-[ab] deepseek-coder\]", c), f"{name}: code prompt not routed to the coder: {c!r}"
        assert re.match(r"\[ollama-[ab] llama3\]", t), f"{name}: chat prompt not routed to llama3: {t!r}"
    served = sum(remote_stats(u)["total"] for u in (a, b))
    assert served == 4, f"the stand-ins answered {served} inference requests for 4 chats"
    through_lb = lb.upstreams_since(offset)
    assert sum(through_lb.values()) >= 4, f"chats did not go through the load balancer: {dict(through_lb)}"


# A Socket.IO client like the browser's, run with the Open WebUI venv's python-socketio: it
# connects with the user's token and prints every `events` message as one JSON line.
SOCKET_CLIENT = r'''
import json, os, sys, threading, time, socketio
sio = socketio.Client(reconnection=False)
lock = threading.Lock()  # handlers run in several threads: one whole line per write, never two interleaved
@sio.on("events")
def on_events(data):
    with lock:
        sys.stdout.write("EVENT " + json.dumps(data) + "\n")
        sys.stdout.flush()
sio.connect(sys.argv[1], socketio_path="/ws/socket.io", transports=["websocket"],
            auth={"token": os.environ["OWUI_TOKEN"]}, wait_timeout=30)
print("CONNECTED " + sio.get_sid("/"), flush=True)  # the namespace sid the server uses
time.sleep(float(sys.argv[2]))
sio.disconnect()
'''


def test_router_status_reaches_a_browser_connected_to_the_other_replica(scaled, admin, tmp_path):
    """The filter runs on replica 1; its status event reaches a websocket held by replica 2
    (Open WebUI's Redis websocket manager, WEBSOCKET_MANAGER=redis)."""
    import json as _json

    w1, w2, redis = scaled["w1"], scaled["w2"], scaled["redis"]
    if not w1.api("GET", "/api/v1/functions/id/router_filter", token=admin.token).get("is_active"):
        pytest.fail("the router filter is not installed (test_router_installed_once_routes_on_both_replicas)")
    script = tmp_path / "socket_client.py"
    script.write_text(SOCKET_CLIENT)
    py = procs.venv_bin("openwebui", "python")
    env = {**{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
           "OWUI_TOKEN": admin.token, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    client = procs.start_process([str(py), str(script), w2.url, "40"], name="socket-client", env=env, log_dir=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while "CONNECTED" not in client.log_path.read_text() and time.monotonic() < deadline:
            assert client.alive(), client.log_tail()
            time.sleep(0.2)
        assert "CONNECTED" in client.log_path.read_text(), client.log_tail()
        sid = client.log_path.read_text().split("CONNECTED ", 1)[1].split()[0]
        # the session of the socket on replica 2 is in the shared Redis (db 1), where replica 1 looks
        deadline = time.monotonic() + 15
        while sid not in (pool := redis.cli("-n", "1", "HKEYS", "open-webui:session_pool")).split():
            if time.monotonic() > deadline:
                pytest.fail(f"socket {sid} never appeared in Redis' session pool: {pool!r}; "
                            f"client log:\n{client.log_tail()}")
            time.sleep(0.3)

        chat_id, msg_id = "local:scale-test", "msg-scale-1"
        r = requests.post(w1.url + "/api/chat/completions", timeout=120,
                          headers={"Authorization": f"Bearer {admin.token}"},
                          json={"model": "auto", "stream": False, "chat_id": chat_id, "id": msg_id,
                                "session_id": sid,
                                "messages": [{"role": "user", "content":
                                              "Write a Python function that parses a CSV file and returns a list of dicts"}]})
        assert r.status_code == 200, r.text[:500]
        statuses = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not statuses:
            for line in client.log_path.read_text().split("\n")[:-1]:  # whole lines only (the last may be mid-write)
                if line.startswith("EVENT "):
                    ev = _json.loads(line[6:])
                    data = ev.get("data") or {}
                    if data.get("type") == "status":
                        statuses.append((data.get("data") or {}).get("description", ""))
            time.sleep(0.3)
    finally:
        client.stop()
    assert any(s.startswith("gpt-code") for s in statuses), \
        f"the router's status never reached the socket on replica 2: {statuses}; log:\n{client.log_tail()}"
