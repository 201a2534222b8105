"""compose.yaml started for real, by a Docker engine, as a user would: .env from .env.example,
`docker-compose up -d`, then chats through Open WebUI's published port.

The engine is Debian's dockerd (scripts/docker-engine.sh) in a network namespace with no uplink;
registry images cannot be pulled here, so tests/compose.standins.yaml points every service at a
local stand-in of its upstream image (docker/standins/, built by scripts/build-standin-images.sh):
the REAL Open WebUI 0.12.4 and LiteLLM 1.108.0, the project's Ollama stand-in server (it names
instance and model in every reply) behind an `ollama` CLI shim, sh + curl for the pull job.
Everything else is compose.yaml as shipped. What this cannot show: the upstream images themselves.

The tier FAILS (never skips) when the engine or the images are missing. The fixture stops the
stack (`down -v`) and the engine at the end, also when a test fails.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

from support import docker_engine as de
from support.envfile import fill_env_file
from support.openwebui import HTTPError, http_json
from support.procs import REPO_ROOT

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1800)]

PROJECT = "owuidt"
OVERRIDE = "tests/compose.standins.yaml"
ADMIN_EMAIL = "admin@example.com"
SECRETS = {"LITELLM_MASTER_KEY": "sk-docker-tier-7f3a9c", "WEBUI_SECRET_KEY": "docker-tier-webui-secret",
           "WEBUI_ADMIN_PASSWORD": "Docker-tier-pass-1"}
SERVICES = ("ollama-a", "ollama-b", "ollama-pull", "litellm", "open-webui", "router-install")
CODE_PROMPT = "Crie uma função em Python que some dois números e escreva um teste com pytest"
CHAT_PROMPT = "Qual é a capital da França? Responda em uma frase."
COPY_IGNORE = shutil.ignore_patterns(".git", ".venvs", "__pycache__", ".pytest_cache", ".env", "*.egg-info")


class Stack:
    """One compose project in a copy of the repository (a user's clone with its own .env)."""

    def __init__(self, root: Path):
        self.root = root
        self.env = de.docker_env()
        self.times: dict[str, dict] = {}
        self.fwd: de.NetnsForwarder | None = None
        self.token: str | None = None

    def compose(self, *args, timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess:
        return de.run(["docker-compose", "-p", PROJECT, "-f", "compose.yaml", "-f", OVERRIDE, *args],
                      cwd=self.root, timeout=timeout, check=check, env=self.env)

    def cid(self, service: str) -> str:
        out = self.compose("ps", "-a", "-q", service).stdout.split()
        assert out, f"no container for {service}"
        return out[0]

    def inspect(self, service: str) -> dict:
        return json.loads(de.run(["docker", "inspect", self.cid(service)]).stdout)[0]

    def exec(self, service: str, *cmd, check: bool = True) -> subprocess.CompletedProcess:
        return de.run(["docker", "exec", self.cid(service), *cmd], check=check, timeout=60)

    def wait_exit(self, service: str, timeout: float = 600) -> int:
        return int(de.run(["docker", "wait", self.cid(service)], timeout=timeout).stdout.strip())

    def up(self) -> float:
        """`up -d`, watching every container's state once a second: when it started and when
        it was first healthy (seconds after `up` began). Returns the duration of `up -d`."""
        self.times = {}
        t0 = time.monotonic()
        done = threading.Event()

        def watch():
            while not done.is_set():
                p = de.run(["docker", "ps", "-a", "--filter", f"label=com.docker.compose.project={PROJECT}",
                            "--format", '{{.Label "com.docker.compose.service"}}\t{{.Status}}'], check=False)
                now = time.monotonic() - t0
                for line in p.stdout.splitlines():
                    svc, _, status = line.partition("\t")
                    rec = self.times.setdefault(svc, {})
                    if status.startswith(("Up", "Exited")):
                        rec.setdefault("started", now)
                    if "(healthy)" in status:
                        rec.setdefault("healthy", now)
                    if status.startswith("Exited"):
                        rec.setdefault("exited", now)
                done.wait(1.0)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            self.compose("up", "-d")
            # let the watcher see the one-shot job finish as well
            self.wait_exit("router-install")
            time.sleep(1.5)
        finally:
            done.set()
            watcher.join(10)
        return time.monotonic() - t0

    # ---- Open WebUI through its published port ----
    def api(self, method: str, path: str, body=None, token: str | None = None, **kw):
        return http_json(method, self.fwd.url + path, body, token=token or self.token, **kw)

    def signin(self, email: str, password: str) -> str:
        return self.api("POST", "/api/v1/auths/signin", {"email": email, "password": password}, token="")["token"]

    def chat(self, prompt: str, model: str = "auto", token: str | None = None) -> dict:
        return self.api("POST", "/api/chat/completions",
                        {"model": model, "messages": [{"role": "user", "content": prompt}], "stream": False},
                        token=token, timeout=180)


def reply_of(resp: dict) -> str:
    return resp["choices"][0]["message"]["content"]


@pytest.fixture(scope="module")
def engine():
    t0 = time.monotonic()
    try:
        de.start_engine()
    except de.EngineError as e:
        de.stop_engine()
        pytest.fail(f"the Docker engine of the test tier is not available: {e}")
    print(f"\n[docker] engine ready in {time.monotonic() - t0:.1f} s")
    try:
        yield
    finally:
        de.stop_engine()


@pytest.fixture(scope="module")
def stack(engine, tmp_path_factory):
    root = tmp_path_factory.mktemp("clone") / "owui-router-filter"
    shutil.copytree(REPO_ROOT, root, ignore=COPY_IGNORE)
    # .env as a user makes it: the example with the secrets filled in
    fill_env_file(root / ".env", [root / ".env.example"], SECRETS)
    s = Stack(root)
    s.compose("down", "-v", "--remove-orphans", check=False)   # a stack left by a killed run
    try:
        s.first_up = s.up()
        s.fwd = de.NetnsForwarder(3000).__enter__()
        yield s
    finally:
        if s.fwd:
            s.fwd.__exit__(None, None, None)
        logs = s.compose("logs", "--no-color", "--tail", "40", check=False).stdout
        (tmp_path_factory.getbasetemp() / "docker-stack.log").write_text(logs)
        s.compose("down", "-v", "--remove-orphans", timeout=300, check=False)


def test_the_override_changes_only_images(tmp_path):
    env_file = fill_env_file(tmp_path / "test.env", [REPO_ROOT / ".env.example"], SECRETS)

    def config(*files):
        args = ["docker-compose", "--project-directory", str(REPO_ROOT), "--env-file", str(env_file)]
        for f in files:
            args += ["-f", str(REPO_ROOT / f)]
        return yaml.safe_load(de.run([*args, "config"], env=de.docker_env(HOME=str(tmp_path)), timeout=60).stdout)

    base, over = config("compose.yaml"), config("compose.yaml", OVERRIDE)
    raw = yaml.safe_load((REPO_ROOT / OVERRIDE).read_text())
    assert set(raw) == {"services"} and all(set(v) == {"image"} for v in raw["services"].values())
    assert set(raw["services"]) == set(base["services"])
    for name in base["services"]:
        b, o = dict(base["services"][name]), dict(over["services"][name])
        bi, oi = b.pop("image"), o.pop("image")
        for d in (b, o):  # docker-compose lists merged volumes in another order
            if "volumes" in d:
                d["volumes"] = sorted(map(str, d["volumes"]))
        assert b == o, f"{name}: the override changed more than the image"
        # same version as the upstream tag it stands in for; router-install uses Open WebUI's image
        assert oi.startswith("owui-router-standin/") and bi.rsplit(":", 1)[1] == oi.rsplit(":", 1)[1], (bi, oi)
    assert over["services"]["router-install"]["image"] == over["services"]["open-webui"]["image"]


def test_the_engine_has_no_route_off_the_machine(stack):
    # the engine's namespace: loopback and docker's own bridges only, no default route
    links = de.in_netns(["ip", "-o", "link"]).stdout
    names = {m.split("@")[0] for m in re.findall(r"^\d+: ([^:]+):", links, re.M)}
    assert names and all(n == "lo" or n.startswith(("docker", "br-", "veth")) for n in names), names
    routes = de.in_netns(["ip", "route", "show", "table", "all"]).stdout
    assert "default" not in routes, routes
    # the containers' network: its routes lead only to the engine's bridge
    net = json.loads(de.run(["docker", "network", "inspect", f"{PROJECT}_default"]).stdout)[0]
    print(f"\n[docker] network {net['Name']}: Internal={net['Internal']} (published ports need a "
          f"non-internal bridge); engine namespace routes: {routes.strip()!r}")
    table = stack.exec("litellm", "cat", "/proc/net/route").stdout
    assert len(table.splitlines()) >= 2
    # one connection attempt to a public (documentation) address must fail at once, unanswered
    probe = stack.exec("litellm", "python3", "-c",
                       "import socket,sys\n"
                       "try:\n socket.create_connection(('203.0.113.1', 443), timeout=3)\n"
                       "except OSError as e:\n print(type(e).__name__, e.errno); sys.exit(0)\n"
                       "sys.exit(1)", check=False)
    assert probe.returncode == 0, f"a container reached a public address: {probe.stdout} {probe.stderr}"


def test_services_become_healthy_in_the_declared_order(stack):
    t = stack.times
    print(f"\n[docker] first `up -d` to router-install done: {stack.first_up:.0f} s")
    for svc in SERVICES:
        print(f"[docker]   {svc:15s} " + ", ".join(f"{k} {v:5.1f} s" for k, v in t.get(svc, {}).items()))
    for svc in ("ollama-a", "ollama-b", "litellm", "open-webui"):
        assert "healthy" in t.get(svc, {}), f"{svc} never reported healthy: {t.get(svc)}"
    ollama_ok = max(t["ollama-a"]["healthy"], t["ollama-b"]["healthy"])
    assert t["ollama-pull"]["started"] >= ollama_ok - 1.0
    assert t["litellm"]["started"] >= ollama_ok - 1.0
    assert t["open-webui"]["started"] >= t["litellm"]["healthy"] - 1.0
    assert t["router-install"]["started"] >= t["open-webui"]["healthy"] - 1.0
    for svc in ("ollama-a", "ollama-b", "litellm", "open-webui"):
        assert stack.inspect(svc)["State"]["Health"]["Status"] == "healthy"


def test_the_pull_job_filled_both_instances(stack):
    assert stack.wait_exit("ollama-pull") == 0
    wanted = {"llama3", "deepseek-coder", "llava", "mistral"}
    for svc in ("ollama-a", "ollama-b"):
        listed = stack.exec(svc, "ollama", "list").stdout
        have = {line.split()[0].removesuffix(":latest") for line in listed.splitlines()[1:] if line.strip()}
        assert have == wanted, f"{svc}: {listed}"
    log = stack.compose("logs", "--no-color", "ollama-pull").stdout
    assert log.count(": pulled") == 8 and "all models present on" in log, log[-2000:]


def test_the_one_shot_job_installed_the_router(stack):
    assert stack.wait_exit("router-install") == 0, stack.compose("logs", "--no-color", "router-install").stdout
    # it ran with the image's own Python, offline, mounting only what it reads
    mounts = {m["Destination"]: m["RW"] for m in stack.inspect("router-install")["Mounts"]}
    assert mounts == {"/opt/owui-router/scripts/install-router.py": False, "/opt/owui-router/src": False,
                      "/opt/owui-router/functions/router_filter.py": False}, mounts
    stack.token = stack.signin(ADMIN_EMAIL, SECRETS["WEBUI_ADMIN_PASSWORD"])
    fn = stack.api("GET", "/api/v1/functions/id/router_filter")
    assert fn["is_active"] and fn["type"] == "filter"
    models = {m["id"]: m for m in stack.api("GET", "/api/models")["data"]}
    assert {"auto", "gpt-code", "gpt-chat", "gpt-vision"} <= set(models), sorted(models)


def test_a_chat_on_auto_reaches_the_coder(stack):
    stack.token = stack.token or stack.signin(ADMIN_EMAIL, SECRETS["WEBUI_ADMIN_PASSWORD"])
    code = reply_of(stack.chat(CODE_PROMPT))
    assert re.match(r"\[owuidt_ollama-[ab]_1 deepseek-coder\]", code), code
    chat = reply_of(stack.chat(CHAT_PROMPT))
    assert re.match(r"\[owuidt_ollama-[ab]_1 llama3\]", chat), chat
    print(f"\n[docker] auto/code -> {code[:40]!r}; auto/chat -> {chat[:40]!r}")


def test_which_model_names_the_instance(stack):
    env = de.docker_env(COMPOSE_PROJECT_NAME=PROJECT, COMPOSE_FILE=f"compose.yaml:{OVERRIDE}")
    p = de.run(["python3", "scripts/which-model.py", "--compose", "-n", "20"], cwd=stack.root, env=env, timeout=120)
    assert re.search(r"gpt-code\s+deepseek-coder@ollama-[ab]\s+http://ollama-[ab]:11434", p.stdout), p.stdout


def test_down_then_up_keeps_users_valves_and_models(stack):
    stack.token = stack.token or stack.signin(ADMIN_EMAIL, SECRETS["WEBUI_ADMIN_PASSWORD"])
    user_pw = "Docker-tier-user-1"
    stack.api("POST", "/api/v1/auths/add", {"name": "Tier User", "email": "user@example.com",
                                              "password": user_pw, "role": "user"})
    valves = stack.api("GET", "/api/v1/functions/id/router_filter/valves") or {}
    stack.api("POST", "/api/v1/functions/id/router_filter/valves/update", {**valves, "threshold": 4.0})

    stack.compose("down", timeout=300)
    assert not stack.compose("ps", "-q").stdout.strip()
    again = stack.up()
    print(f"\n[docker] `down` + `up -d` (volumes kept) to router-install done: {again:.0f} s")
    assert stack.wait_exit("router-install") == 0
    assert stack.wait_exit("ollama-pull") == 0
    pull_log = stack.compose("logs", "--no-color", "ollama-pull").stdout
    assert pull_log.count("already present") == 8 and ": pulled" not in pull_log, pull_log[-1500:]

    stack.token = stack.signin(ADMIN_EMAIL, SECRETS["WEBUI_ADMIN_PASSWORD"])
    user_token = stack.signin("user@example.com", user_pw)
    assert stack.api("GET", "/api/v1/functions/id/router_filter/valves")["threshold"] == 4.0
    for svc in ("ollama-a", "ollama-b"):
        assert len(stack.exec(svc, "ollama", "list").stdout.strip().splitlines()) == 5
    # the regular user's chat on Auto still reaches the coder
    assert "deepseek-coder]" in reply_of(stack.chat(CODE_PROMPT, token=user_token))


def test_one_ollama_container_killed_chats_still_answered(stack):
    stack.token = stack.token or stack.signin(ADMIN_EMAIL, SECRETS["WEBUI_ADMIN_PASSWORD"])
    de.run(["docker", "kill", stack.cid("ollama-a")])
    # Slow here, not on a real host: the engine's namespace has no DNS server to forward to, so a
    # lookup of the dead container's name times out (10 s, glibc) instead of failing at once, and
    # LiteLLM's weighted failover then re-sends to ollama-b.
    t0 = time.monotonic()
    replies = [reply_of(stack.chat(CODE_PROMPT if i % 2 == 0 else CHAT_PROMPT)) for i in range(6)]
    print(f"\n[docker] ollama-a killed: 6 chats in {time.monotonic() - t0:.0f} s")
    assert all(r.startswith("[owuidt_ollama-b_1 ") for r in replies), replies
    assert sum("deepseek-coder]" in r for r in replies) == 3 and sum("llama3]" in r for r in replies) == 3


def test_a_missing_engine_fails_the_tier_instead_of_skipping(monkeypatch):
    # what the `engine` fixture turns into pytest.fail: no dockerd on PATH -> EngineError naming the setup
    real_which = shutil.which
    monkeypatch.setattr(de.shutil, "which", lambda exe: None if exe == "dockerd" else real_which(exe))
    with pytest.raises(de.EngineError, match="setup-test-env.sh docker"):
        de.start_engine()
