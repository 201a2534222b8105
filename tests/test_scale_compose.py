"""compose.scale.yaml validated with the parser CI uses for compose.yaml (Debian's docker-compose),
merged over compose.yaml, and checked for what docs/scaling.md promises."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from support import procs
from support.envfile import fill_env_file

REPO = procs.REPO_ROOT
BASE, SCALE = REPO / "compose.yaml", REPO / "compose.scale.yaml"
LB_CONF = REPO / "deploy" / "nginx" / "litellm-lb.conf"
WEBUI_LB_CONF = REPO / "deploy" / "nginx" / "open-webui-lb.conf"
GEN = REPO / "scripts" / "gen-litellm-config.py"

SCALE_ENV_EXAMPLE = REPO / "deploy" / "scale.env.example"
SCHEMA = Path("/usr/lib/python3/dist-packages/compose/config/compose_spec.json")  # shipped with docker-compose
# the secrets a user fills in (.env.example + deploy/scale.env.example leave them empty/placeholder)
SECRETS = {
    "LITELLM_MASTER_KEY": "sk-compose-test-0000",
    "WEBUI_SECRET_KEY": "webui-secret-test",
    "WEBUI_ADMIN_PASSWORD": "admin-pw-test",
    "REDIS_PASSWORD": "redispw0test",
    "POSTGRES_PASSWORD": "pgpw0test",
}
TEST_ENV = SECRETS


def compose_exe() -> str:
    exe = shutil.which("docker-compose") or ("/usr/bin/docker-compose" if os.path.exists("/usr/bin/docker-compose") else None)
    if not exe:
        pytest.fail("docker-compose is not installed; run `scripts/setup-test-env.sh debian`", pytrace=False)
    return exe


def env_file(tmp: Path, **overrides) -> Path:
    """What a user's .env is after `cp .env.example .env; cat deploy/scale.env.example >> .env`
    and filling in the secrets (override None: keep the example's value)."""
    return fill_env_file(tmp / "scale-test.env", [REPO / ".env.example", SCALE_ENV_EXAMPLE], {**SECRETS, **overrides})


def compose(*args: str, files=(BASE, SCALE), env: dict | None = None) -> subprocess.CompletedProcess:
    tmp = Path(tempfile.mkdtemp(prefix="owui-router-compose-"))
    try:
        cmd = [compose_exe(), "--project-directory", str(REPO), "--env-file", str(env_file(tmp, **(env or {})))]
        for f in files:
            cmd += ["-f", str(f)]
        # a clean environment: only the env file decides (a developer's shell must not leak in)
        clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp)}
        return subprocess.run(cmd + list(args), capture_output=True, text=True, env=clean, cwd=REPO, timeout=120)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def merged(*profile: str, files=(BASE, SCALE), env: dict | None = None) -> dict:
    args = [a for p in profile for a in ("--profile", p)]
    r = compose(*args, "config", files=files, env=env)
    assert r.returncode == 0, f"docker-compose config failed:\n{r.stderr}"
    return yaml.safe_load(r.stdout)


def env_of(svc: dict) -> dict:
    e = svc.get("environment") or {}
    if isinstance(e, list):
        e = dict(x.split("=", 1) if "=" in x else (x, None) for x in e)
    return {k: (None if v is None else str(v)) for k, v in e.items()}


def upstream_names(conf: Path) -> list[tuple[str, int]]:
    return [(m.group(1), int(m.group(2))) for m in re.finditer(r"^\s*server\s+([\w.-]+):(\d+)\b", conf.read_text(), re.M)]


@pytest.fixture(scope="module")
def cfg():
    assert BASE.exists(), "compose.yaml (the single-box stack) is missing"
    return merged()


def test_scale_file_is_valid_for_the_ci_parser():
    r = compose("config", "-q")
    assert r.returncode == 0, r.stderr
    r = compose("--profile", "webui-replica", "config", "-q")
    assert r.returncode == 0, r.stderr


def test_compose_spec_schema_accepts_the_scale_file_and_the_merged_config(cfg):
    if not SCHEMA.exists():
        pytest.fail(f"{SCHEMA} (shipped with Debian's docker-compose) is missing", pytrace=False)
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    for doc, what in ((yaml.safe_load(SCALE.read_text()), "compose.scale.yaml"), (cfg, "merged config")):
        errors = [f"{list(e.path)}: {e.message[:200]}" for e in validator.iter_errors(doc)]
        assert not errors, f"{what}: {errors}"


def test_missing_passwords_fail_loudly():
    for var in ("REDIS_PASSWORD", "POSTGRES_PASSWORD"):
        r = compose("config", "-q", env={var: None})  # as shipped in deploy/scale.env.example: empty
        assert r.returncode != 0 and f"set {var} in .env" in r.stderr, r.stderr


def test_single_box_stack_stays_redis_free():
    base = merged(files=(BASE,))
    assert not {"redis", "postgres", "litellm-2", "litellm-lb"} & set(base["services"])
    for name, svc in base["services"].items():
        assert not [k for k in env_of(svc) if k.startswith("REDIS_")], f"{name} has REDIS_* in compose.yaml"
    assert "redis" not in (REPO / "litellm_config.yaml").read_text().lower()


def test_litellm_replicas_are_identical_and_share_redis(cfg):
    s = cfg["services"]
    for name in ("redis", "postgres", "litellm", "litellm-2", "litellm-config", "litellm-lb", "open-webui"):
        assert name in s, f"service {name} missing from the merged stack"
    l1, l2 = s["litellm"], s["litellm-2"]
    assert l1["image"] == l2["image"] == s["litellm-config"]["image"], "replicas and the config job must use one image"
    assert l1["entrypoint"] == l2["entrypoint"] and l1["command"] == l2["command"]
    # the replicas run the GENERATED config (all OLLAMA_HOSTS), through compose.yaml's launcher
    argv = list(l1["entrypoint"]) + list(l1["command"])
    assert argv[argv.index("--config") + 1] == "/generated/litellm_config.yaml", argv
    base = merged(files=(BASE,))["services"]["litellm"]
    assert argv[0] == base["entrypoint"][0] and argv[1] == base["entrypoint"][1], "not compose.yaml's launcher"
    assert {str(v).split(":")[1] for v in l2["volumes"]} >= {
        str(v).split(":")[1] for v in base["volumes"] if "litellm_request_log" in str(v)}
    e1, e2 = env_of(l1), env_of(l2)
    assert e1 == e2, f"litellm-2's environment differs from litellm's: {set(e1.items()) ^ set(e2.items())}"
    assert e1["REDIS_HOST"] == "redis" and e1["REDIS_PORT"] == "6379" and e1["REDIS_PASSWORD"] == TEST_ENV["REDIS_PASSWORD"]
    for svc in (l1, l2):
        deps = svc.get("depends_on") or {}
        assert deps.get("redis", {}).get("condition") == "service_healthy"
        assert deps.get("litellm-config", {}).get("condition") == "service_completed_successfully"
        assert any(str(v).startswith("litellm-generated:/generated") or
                   (isinstance(v, dict) and v.get("source") == "litellm-generated") for v in svc["volumes"])
        assert not svc.get("ports") or svc is l1, "litellm-2 must not publish host ports"
    # the replicas' own healthcheck (if compose.yaml has one) is kept
    assert l1.get("healthcheck") == l2.get("healthcheck")


def test_config_job_generates_from_the_repository_config(cfg, tmp_path):
    job = cfg["services"]["litellm-config"]
    vols = [str(v) for v in job["volumes"]]
    assert any(v.startswith(f"{REPO / 'litellm_config.yaml'}:") for v in vols), vols
    assert any(v.startswith(f"{GEN}:") for v in vols), vols
    hosts = env_of(job)["OLLAMA_HOSTS"]
    assert env_of(cfg["services"]["litellm"])["OLLAMA_HOSTS"] == hosts  # a change re-creates the replicas
    # the default hosts are the Ollama services of compose.yaml
    for name, url in ((e.split("=", 1)) for e in hosts.split(",")):
        assert url.split("//")[1].split(":")[0] in cfg["services"], f"default host {url} is not a compose service"
    out = tmp_path / "gen.yaml"
    r = subprocess.run([sys.executable, str(GEN), "--out", str(out)], env={**os.environ, "OLLAMA_HOSTS": hosts},
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    ids = {e["model_info"]["id"] for e in yaml.safe_load(out.read_text())["model_list"]}
    assert "llama3@ollama-a" in ids and "llama3@ollama-b" in ids


def test_nginx_upstreams_are_the_replica_services(cfg):
    names = upstream_names(LB_CONF)
    assert {n for n, _ in names} == {"litellm", "litellm-2"}
    cmd = list(cfg["services"]["litellm"].get("entrypoint") or []) + list(cfg["services"]["litellm"]["command"])
    port = int(cmd[cmd.index("--port") + 1])
    assert {p for _, p in names} == {port}
    lb = cfg["services"]["litellm-lb"]
    assert any(str(v).startswith(f"{LB_CONF}:/etc/nginx/conf.d/default.conf") for v in lb["volumes"])
    major, minor = (int(x) for x in re.search(r":(\d+)\.(\d+)", lb["image"]).groups())
    assert (major, minor) >= (1, 28) or (major, minor) == (1, 27), "`resolve` in upstreams needs nginx >= 1.27.3"


def test_open_webui_runs_on_postgres_and_redis_through_the_lb(cfg):
    e = env_of(cfg["services"]["open-webui"])
    assert e["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in e["DATABASE_URL"]
    assert e["VECTOR_DB"] == "pgvector"
    assert e["WEBSOCKET_MANAGER"] == "redis" and e["ENABLE_WEBSOCKET_SUPPORT"] == "true"
    assert e["WEBSOCKET_REDIS_URL"].startswith("redis://") and "@redis:6379/" in e["WEBSOCKET_REDIS_URL"]
    assert e["REDIS_URL"] == e["WEBSOCKET_REDIS_URL"]
    base_url = e.get("OPENAI_API_BASE_URLS") or e.get("OPENAI_API_BASE_URL")
    assert base_url and all(u.startswith("http://litellm-lb:4000/") for u in base_url.split(";")), base_url
    deps = cfg["services"]["open-webui"]["depends_on"]
    assert deps["postgres"]["condition"] == "service_healthy" and deps["redis"]["condition"] == "service_healthy"


def test_second_open_webui_replica_matches_the_first():
    s = merged("webui-replica")["services"]
    w1, w2 = s["open-webui"], s["open-webui-2"]
    assert w1["image"] == w2["image"]
    e1, e2 = env_of(w1), env_of(w2)
    assert e1 == e2, f"open-webui-2's environment differs: {set(e1.items()) ^ set(e2.items())}"
    assert e1.get("WEBUI_SECRET_KEY"), "replicas need one fixed WEBUI_SECRET_KEY"
    data1 = {str(v).split(":")[0] + ":" + str(v).split(":")[1] for v in w1.get("volumes", [])}
    data2 = {str(v).split(":")[0] + ":" + str(v).split(":")[1] for v in w2.get("volumes", [])}
    assert data1 == data2, (data1, data2)
    assert {n for n, _ in upstream_names(WEBUI_LB_CONF)} == {"open-webui", "open-webui-2"}
    assert "open-webui-lb" in s


@pytest.mark.parametrize("conf", [LB_CONF, WEBUI_LB_CONF], ids=lambda p: p.name)
def test_nginx_accepts_the_load_balancer_configs(conf, tmp_path):
    """`nginx -t` on each config as compose mounts it (inside `http {}`), with the service names
    pointed at loopback; Debian's nginx 1.22 predates `resolve`, so that parameter is dropped."""
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(exe):
        pytest.fail("nginx is not installed; run `scripts/setup-test-env.sh debian`", pytrace=False)
    text = conf.read_text()
    names = upstream_names(conf)
    assert len(names) == 2
    for name, port in names:
        text = re.sub(rf"\bserver {re.escape(name)}:{port}\b", f"server 127.0.0.1:{port}", text)
    text = re.sub(r"(\bserver 127\.0\.0\.1:\d+[^;]*?) resolve;", r"\1;", text)
    (tmp_path / "site.conf").write_text(text)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nevents {{}}\nhttp {{\n    include {tmp_path / 'site.conf'};\n}}\n")
    r = subprocess.run([exe, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "e.log"), "-t"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
