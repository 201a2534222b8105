"""Scale-out stack with the real parts: Redis, two LiteLLM proxies, nginx, Ollama stand-ins.

Started once for the module (all on 127.0.0.1, free ports picked at run time):

    redis-server (Debian, password from a config file)  <- REDIS_HOST/PORT/PASSWORD
    two real LiteLLM 1.108.0 proxies, the repository's litellm_config.yaml unchanged,
        Redis reached through LiteLLM's own REDIS_* environment variables
    nginx with deploy/nginx/litellm-lb.conf (only the upstream addresses and listen port
        are rewritten for loopback)
    two Ollama stand-ins (tests/support/ollama_stub.py, subprocesses)

Each test uses its own model group, so cooldowns left by one test do not steer the next.
Tests that kill something run last, in file order: Redis down (and back), then a proxy down.
"""
from __future__ import annotations

import concurrent.futures as cf
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from support import procs
from support.litellm_proxy import LiteLLMProxy
from support.ollama_stub import remote_control, remote_stats

pytestmark = pytest.mark.scale

REPO = procs.REPO_ROOT
LB_CONF = REPO / "deploy" / "nginx" / "litellm-lb.conf"
SETUP_HINT = "run `scripts/setup-test-env.sh debian` (installs redis-server and nginx)"

# ids from litellm_config.yaml (model_info.id = "<model>@<instance>")
A, B = "ollama-a", "ollama-b"
BREAKER_RECOVERY_S = 4  # REDIS_CIRCUIT_BREAKER_RECOVERY_TIMEOUT for the proxies (LiteLLM default: 60)
CLIENTS, PER_CLIENT = 8, 50


def _need(exe: str) -> str:
    path = shutil.which(exe) or next((p for p in (f"/usr/sbin/{exe}", f"/usr/bin/{exe}") if os.path.exists(p)), None)
    if not path:
        pytest.fail(f"{exe} is not installed; {SETUP_HINT}", pytrace=False)
    return path


# --------------------------------------------------------------------------- Redis
class RedisServer:
    """Debian's redis-server on a free loopback port, password in its config file."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.password = "redis-" + os.urandom(12).hex()
        self.port = procs.free_port()
        self.proc: procs.Proc | None = None
        self.server = _need("redis-server")
        self.cli_exe = _need("redis-cli")
        self.conf = workdir / "redis.conf"
        self.conf.write_text(
            f"bind 127.0.0.1\nport {self.port}\nrequirepass {self.password}\n"
            f"daemonize no\nsave \"\"\nappendonly no\ndir {workdir}\nlogfile \"\"\n"
        )
        self.conf.chmod(0o600)

    def start(self) -> "RedisServer":
        self.proc = procs.start_process([self.server, str(self.conf)], name="redis", env=dict(os.environ),
                                        log_dir=self.workdir)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if not self.proc.alive():
                raise RuntimeError(f"redis-server exited:\n{self.proc.log_tail()}")
            if self.cli("PING").strip() == "PONG":
                return self
            time.sleep(0.2)
        raise RuntimeError(f"redis-server did not answer PING:\n{self.proc.log_tail()}")

    def cli(self, *args: str) -> str:
        env = {**os.environ, "REDISCLI_AUTH": self.password}  # never on the command line
        r = subprocess.run([self.cli_exe, "-h", "127.0.0.1", "-p", str(self.port), "--raw", *args],
                           env=env, capture_output=True, text=True, timeout=10)
        return r.stdout

    def keys(self, pattern: str) -> list[str]:
        return [k for k in self.cli("KEYS", pattern).split("\n") if k]

    def env(self) -> dict:
        """What a LiteLLM replica needs: LiteLLM reads these itself (no config edit)."""
        return {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(self.port), "REDIS_PASSWORD": self.password}

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()


# --------------------------------------------------------------------------- nginx
class NginxLB:
    """nginx running the repository's deploy/nginx/litellm-lb.conf against loopback replicas."""

    def __init__(self, workdir: Path, upstreams: list[int]):
        self.workdir = workdir
        self.exe = _need("nginx")
        self.port = procs.free_port()
        text = LB_CONF.read_text()
        # the only rewrites: compose service names -> loopback ports, listen port
        for name, port in zip(("litellm", "litellm-2"), upstreams):
            text, n = re.subn(rf"\bserver {re.escape(name)}:4000\b", f"server 127.0.0.1:{port}", text)
            assert n == 1, f"{LB_CONF} has no `server {name}:4000` line"
        text, n = re.subn(r"\blisten 4000;", f"listen 127.0.0.1:{self.port};", text)
        assert n == 1, f"{LB_CONF} has no `listen 4000;`"
        # loopback addresses need no DNS; Debian's nginx (1.22) predates the `resolve` parameter
        text = re.sub(r"(\bserver 127\.0\.0\.1:\d+[^;]*?) resolve;", r"\1;", text)
        (workdir / "litellm-lb.conf").write_text(text)
        self.access_log = workdir / "nginx.log"  # access_log /dev/stdout -> the process log
        self.error_log = workdir / "error.log"
        temps = "".join(f"    {k}_temp_path {workdir / ('tmp-' + k)};\n"
                        for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (workdir / f"tmp-{k}").mkdir(exist_ok=True)
            (workdir / f"tmp-{k}").chmod(0o777)  # workers may run as nobody when the tests run as root
        workdir.chmod(0o755)
        (workdir / "nginx.conf").write_text(
            f"worker_processes 1;\npid {workdir / 'nginx.pid'};\nerror_log {self.error_log} info;\n"
            f"events {{ worker_connections 512; }}\n"
            f"http {{\n{temps}    include {workdir / 'litellm-lb.conf'};\n}}\n"
        )
        self.proc: procs.Proc | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "NginxLB":
        t = subprocess.run([self.exe, "-p", str(self.workdir), "-c", str(self.workdir / "nginx.conf"),
                            "-e", str(self.error_log), "-t"], capture_output=True, text=True)
        assert t.returncode == 0, f"nginx -t rejected deploy/nginx/litellm-lb.conf:\n{t.stderr}"
        self.proc = procs.start_process(
            [self.exe, "-p", str(self.workdir), "-c", str(self.workdir / "nginx.conf"),
             "-e", str(self.error_log), "-g", "daemon off;"], name="nginx", env=dict(os.environ),
            log_dir=self.workdir)
        procs.wait_http(self.url + "/nginx-health", self.proc, timeout=20)
        return self

    def upstreams_since(self, offset: int) -> Counter:
        text = self.access_log.read_text(errors="replace")[offset:]
        # "upstream=127.0.0.1:1, 127.0.0.1:2 upstream_status=502, 200": the last one answered
        return Counter(m.group(1).split(", ")[-1] for m in re.finditer(r"upstream=(.+?) upstream_status=", text))

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()


# --------------------------------------------------------------------------- helpers
def chat(base: str, headers: dict, model: str, text: str = "hi", timeout: float = 60, session=None,
         stream: bool = False) -> requests.Response:
    s = session or requests
    return s.post(base + "/v1/chat/completions", headers=headers, timeout=timeout, stream=stream,
                  json={"model": model, "stream": stream, "messages": [{"role": "user", "content": text}]})


def counts(url: str, model: str) -> tuple[int, int]:
    """(answered, failed) inference requests a stand-in received for `model`."""
    s = remote_stats(url)
    return s["requests"].get(model, 0), s["failed"].get(model, 0)


def log_size(p: LiteLLMProxy) -> int:
    return len(p.log_text())


def run_load(base: str, headers: dict, model: str, clients: int = CLIENTS, per_client: int = PER_CLIENT) -> dict:
    """`clients` threads x `per_client` sequential requests (keep-alive session each)."""
    lat: list[float] = []
    errors: list[str] = []
    ids: Counter = Counter()
    lock = threading.Lock()

    def client(c: int) -> None:
        with requests.Session() as s:
            for i in range(per_client):
                t0 = time.perf_counter()
                try:
                    r = chat(base, headers, model, f"load {c}-{i}", session=s)
                    ok = r.status_code == 200 and r.json()["choices"][0]["message"]["content"]
                    err = None if ok else f"HTTP {r.status_code}: {r.text[:200]}"
                except Exception as e:  # noqa: BLE001 - every failure is a lost request
                    r, err = None, repr(e)
                dt = time.perf_counter() - t0
                with lock:
                    lat.append(dt)
                    if err:
                        errors.append(err)
                    elif r is not None:
                        ids[r.headers.get("x-litellm-model-id", "?")] += 1

    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(clients) as ex:
        list(ex.map(client, range(clients)))
    wall = time.perf_counter() - t0
    q = statistics.quantiles(lat, n=100, method="inclusive")
    return {"n": len(lat), "ok": len(lat) - len(errors), "errors": errors, "wall": wall,
            "rps": len(lat) / wall, "p50": q[49] * 1000, "p90": q[89] * 1000, "p99": q[98] * 1000,
            "max": max(lat) * 1000, "ids": ids}


def fmt(label: str, r: dict) -> str:
    return (f"{label:<28} {r['ok']}/{r['n']} ok  {r['rps']:6.1f} req/s  "
            f"p50 {r['p50']:6.1f} ms  p90 {r['p90']:6.1f} ms  p99 {r['p99']:6.1f} ms  max {r['max']:6.1f} ms")


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def workdir():
    d = Path(tempfile.mkdtemp(prefix="owui-router-scale-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def stack(workdir):
    """Redis + 2 stand-ins + 2 LiteLLM proxies sharing Redis + nginx in front of them."""
    redis = RedisServer(workdir)
    started: list = []
    try:
        started.append(redis.start())
        stub_a, url_a = procs.start_ollama_stub(A, log_dir=workdir)
        started.append(stub_a)
        stub_b, url_b = procs.start_ollama_stub(B, log_dir=workdir)
        started.append(stub_b)
        key = "sk-scale-" + os.urandom(8).hex()
        extra = {**redis.env(), "REDIS_CIRCUIT_BREAKER_RECOVERY_TIMEOUT": str(BREAKER_RECOVERY_S)}
        # request_log: started through compose.yaml's launcher, as compose.scale.yaml does
        proxies = [LiteLLMProxy(url_a, url_b, master_key=key, extra_env=extra, log_dir=workdir / f"p{i}",
                                name=f"litellm-{i}", timeout=180, request_log=True) for i in (1, 2)]
        started.extend(proxies)
        with cf.ThreadPoolExecutor(2) as ex:  # start both at once: ~10-20 s instead of twice that
            list(ex.map(lambda p: p.start(), proxies))
        (workdir / "nginx").mkdir()
        lb = NginxLB(workdir / "nginx", [p.port for p in proxies])
        started.append(lb.start())
        yield {"redis": redis, "a": url_a, "b": url_b, "stub_a": stub_a, "stub_b": stub_b,
               "p1": proxies[0], "p2": proxies[1], "lb": lb, "headers": proxies[0].headers}
    finally:
        for thing in reversed(started):
            thing.stop()


# --------------------------------------------------------------------------- tests
def test_proxies_use_redis_from_environment_only(stack):
    """Both proxies connected to Redis through REDIS_* alone; the secret never reaches a log."""
    redis, p1, p2 = stack["redis"], stack["p1"], stack["p2"]
    for p in (p1, p2):
        r = chat(p.url, p.headers, "gpt-code", "warm up")
        assert r.status_code == 200, r.text
    for p in (p1, p2):  # LiteLLM's own start-up line for the REDIS_* fallback (INFO level)
        assert "coordination_redis: using a standalone Redis built from REDIS_*" in p.log_text(), \
            f"{p.name} did not pick up Redis from REDIS_*:\n{p.log_text()[-3000:]}"
    # the proxies' usage counters land in the shared Redis
    assert redis.keys("*"), "Redis is empty: the proxies are not writing to it"
    cfg = (REPO / "litellm_config.yaml").read_text()
    assert "redis" not in cfg.lower(), "litellm_config.yaml should stay Redis-free (REDIS_* env only)"
    for p in (p1, p2):
        assert redis.password not in p.log_text(), f"{p.name} logged the Redis password"
        assert "Redis that is not reachable" not in p.log_text(), p.log_text()[-2000:]


def test_cooldown_is_shared_between_proxies(stack, capsys):
    """Proxy 1 cools down the failing instance; proxy 2 then never sends it a request."""
    redis, p1, p2, a, b = stack["redis"], stack["p1"], stack["p2"], stack["a"], stack["b"]
    model, dep_a = "llama3", f"llama3@{A}"
    remote_control(a, reset=True, fail_models=[model])
    remote_control(b, reset=True)
    try:
        via_p1 = 0
        for via_p1 in range(1, 41):  # until proxy 1 has put ollama-a's llama3 in cooldown
            r = chat(p1.url, p1.headers, "gpt-chat", f"p1 {via_p1}")
            assert r.status_code == 200, f"retry/failover should hide the failing instance: {r.text[:300]}"
            if redis.keys(f"deployment:{dep_a}:cooldown"):
                break
        assert redis.keys(f"deployment:{dep_a}:cooldown"), "proxy 1 never cooled the failing deployment down"
        a_before, b_before = counts(a, model), counts(b, model)
        time.sleep(1.5)  # LiteLLM re-reads cooldowns from Redis at most once a second
        answered_by = Counter()
        for i in range(20):
            r = chat(p2.url, p2.headers, "gpt-chat", f"p2 {i}")
            assert r.status_code == 200, r.text[:300]
            answered_by[r.headers.get("x-litellm-model-id")] += 1
        a_after, b_after = counts(a, model), counts(b, model)
    finally:
        remote_control(a, fail_models=[])
    with capsys.disabled():
        print(f"\n[scale] shared cooldown: {via_p1} requests via proxy 1 put {dep_a} in cooldown "
              f"(ollama-a llama3 answered/failed {a_before}, ollama-b {b_before}); "
              f"then 20 via proxy 2: ollama-a {a_after}, ollama-b {b_after}; ids {dict(answered_by)}")
    assert a_after == a_before, f"proxy 2 still sent requests to the cooled-down instance: {a_before} -> {a_after}"
    assert b_after[0] - b_before[0] == 20
    assert answered_by == Counter({f"llama3@{B}": 20})


def test_load_one_proxy_vs_two_behind_nginx(stack, capsys):
    """8 clients x 50 requests: nothing lost, both Ollama instances share the work."""
    p1, lb, a, b, h = stack["p1"], stack["lb"], stack["a"], stack["b"], stack["headers"]
    model = "mistral"  # gpt-backup: untouched by the other tests so far
    lines, results = [], {}
    for label, base in (("one proxy (direct)", p1.url), ("two proxies via nginx", lb.url)):
        remote_control(a, reset=True)
        remote_control(b, reset=True)
        lb_offset = lb.access_log.stat().st_size
        res = run_load(base, h, "gpt-backup")
        res["stub"] = {A: counts(a, model)[0], B: counts(b, model)[0]}
        res["upstreams"] = lb.upstreams_since(lb_offset)
        results[label] = res
        lines.append(fmt(label, res) + f"  ollama-a {res['stub'][A]} / ollama-b {res['stub'][B]}"
                     + (f"  replicas {dict(res['upstreams'])}" if res["upstreams"] else ""))
    with capsys.disabled():
        print(f"\n[scale] load {CLIENTS} clients x {PER_CLIENT} requests, non-streaming, loopback, "
              f"stand-ins without delay (measures proxy overhead on this {os.cpu_count()}-core box, "
              f"load average {os.getloadavg()[0]:.1f} from everything else running):")
        for line in lines:
            print("[scale]   " + line)
    n = CLIENTS * PER_CLIENT
    for label, res in results.items():
        assert res["ok"] == n, f"{label}: {len(res['errors'])} requests lost, first: {res['errors'][:3]}"
        assert sum(res["stub"].values()) == n, f"{label}: stand-ins answered {res['stub']} for {n} requests"
        assert min(res["stub"].values()) >= n // 4, f"{label}: work not shared: {res['stub']}"
    ups = results["two proxies via nginx"]["upstreams"]
    assert sum(ups.values()) == n and len(ups) == 2 and min(ups.values()) >= n // 4, \
        f"nginx did not spread the load over both replicas: {dict(ups)}"


def test_streaming_through_the_load_balancer(stack):
    lb, h = stack["lb"], stack["headers"]
    with chat(lb.url, h, "gpt-code", "stream please", stream=True) as r:
        assert r.status_code == 200, r.text
        assert "text/event-stream" in r.headers.get("content-type", "")
        events = [ln for ln in r.iter_lines(decode_unicode=True) if ln and ln.startswith("data: ")]
    assert len(events) >= 3 and events[-1] == "data: [DONE]", events[-3:]


def test_redis_down_proxies_keep_serving_on_local_state_then_recover(stack, capsys):
    """Kill Redis: both proxies keep answering and log it; cooldowns become per proxy.
    Start Redis again: sharing resumes once the proxies' Redis circuit breaker closes."""
    redis, p1, p2, a, b = stack["redis"], stack["p1"], stack["p2"], stack["a"], stack["b"]
    offsets = {p.name: log_size(p) for p in (p1, p2)}
    redis.proc.kill_hard()
    model, dep_a = "deepseek-coder", f"deepseek-coder@{A}"
    remote_control(a, reset=True, fail_models=[model])
    remote_control(b, reset=True)
    failed_by: dict = {}
    try:
        for p in (p1, p2):  # proxy 1 first: in the shared case proxy 2 would then skip ollama-a
            before = counts(a, model)[1]
            for i in range(20):
                r = chat(p.url, p.headers, "gpt-code", f"{p.name} {i}")
                assert r.status_code == 200, f"{p.name} failed without Redis: {r.text[:300]}"
            failed_by[p.name] = counts(a, model)[1] - before
    finally:
        remote_control(a, fail_models=[])
    said = {}
    for p in (p1, p2):
        new = p.log_text()[offsets[p.name]:]
        said[p.name] = [ln for ln in new.splitlines()
                        if re.search(r"redis", ln, re.I) and re.search(r"refused|circuit breaker|error", ln, re.I)]
        assert said[p.name], f"{p.name} served without Redis but did not say so:\n{new[-3000:]}"
    with capsys.disabled():
        print(f"\n[scale] Redis down: 40/40 requests answered; failed tries on ollama-a deepseek-coder "
              f"per proxy: {failed_by} (each proxy had to find the failing instance itself)")
        for name, lines in said.items():
            print(f"[scale]   {name} log: {lines[0][:200]}")
    # local state: unlike the shared case, proxy 2 did not know that proxy 1 cooled ollama-a down
    assert failed_by["litellm-2"] > 0, f"proxy 2 never tried the failing instance: {failed_by}"

    # --- Redis back (same port, empty): sharing resumes after the circuit breaker's recovery time
    redis.start()
    time.sleep(BREAKER_RECOVERY_S + 2)
    for p in (p1, p2):  # the first calls after recovery probe Redis and close the breaker
        for i in range(3):
            assert chat(p.url, p.headers, "gpt-vision", f"probe {i}").status_code == 200
    model, dep_a = "llava", f"llava@{A}"
    remote_control(a, reset=True, fail_models=[model])
    remote_control(b, reset=True)
    try:
        for i in range(40):
            assert chat(p1.url, p1.headers, "gpt-vision", f"after {i}").status_code == 200
            if redis.keys(f"deployment:{dep_a}:cooldown"):
                break
        assert redis.keys(f"deployment:{dep_a}:cooldown"), "after Redis came back, proxy 1 did not write cooldowns to it"
        before = counts(a, model)
        time.sleep(1.5)
        for i in range(15):
            assert chat(p2.url, p2.headers, "gpt-vision", f"p2 after {i}").status_code == 200
        after = counts(a, model)
    finally:
        remote_control(a, fail_models=[])
    assert after == before, f"after Redis recovery proxy 2 still tried the cooled-down instance: {before} -> {after}"


def test_proxy_killed_load_balancer_still_serves(stack, capsys):
    """Kill proxy 2 hard: every request through nginx still succeeds (nginx skips it)."""
    p1, p2, lb, h = stack["p1"], stack["p2"], stack["lb"], stack["headers"]
    p2.proc.kill_hard()
    assert not p2.proc.alive()
    offset = lb.access_log.stat().st_size
    res = run_load(lb.url, h, "gpt-chat", clients=4, per_client=15)
    ups = lb.upstreams_since(offset)
    with capsys.disabled():
        print(f"\n[scale] proxy 2 killed: " + fmt("via nginx", res) + f"  upstreams {dict(ups)}")
    assert res["ok"] == res["n"], f"lost {len(res['errors'])} requests with one proxy down: {res['errors'][:3]}"
    # nginx tried the dead replica, logged it, and answered from the survivor
    err = lb.error_log.read_text(errors="replace")
    assert f"127.0.0.1:{p2.port}" in err and "Connection refused" in err, err[-2000:]
    assert chat(p1.url, p1.headers, "gpt-chat", "direct").status_code == 200


def test_proxy_started_before_redis_stays_on_local_state(stack, workdir, capsys):
    """A replica whose Redis is unreachable at start-up runs without it until restarted
    (LiteLLM pings REDIS_* once at start): compose.scale.yaml waits for Redis to be healthy."""
    (workdir / "late-redis").mkdir()
    late = RedisServer(workdir / "late-redis")
    proxy = LiteLLMProxy(stack["a"], stack["b"], extra_env=late.env(), log_dir=workdir / "p-early",
                         name="litellm-early", timeout=180)
    try:
        proxy.start()  # Redis is not running yet
        late.start()
        for i in range(6):
            assert chat(proxy.url, proxy.headers, "gpt-chat", f"early {i}").status_code == 200
        log = proxy.log_text()
        keys = late.keys("*")
    finally:
        proxy.stop()
        late.stop()
    said = [ln for ln in log.splitlines() if "coordination_redis" in ln]
    with capsys.disabled():
        print(f"\n[scale] proxy started before Redis: Redis keys after 6 requests: {len(keys)}; "
              f"log: {said[0][:170] if said else '(nothing)'}")
    assert any("not reachable" in ln for ln in said), log[-3000:]
    assert keys == [], f"the proxy wrote to a Redis it gave up on at start: {keys}"
