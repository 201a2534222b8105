"""compose.yaml checked by a real Compose implementation's parser (Debian's docker-compose 1.29,
`config`) and by the Compose specification's JSON schema (the copy that package ships), plus
the promises docs/stack.md makes about the stack. tests/test_docker_stack.py starts it on a real
Docker engine."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from support.envfile import fill_env_file
from support.procs import REPO_ROOT

COMPOSE = REPO_ROOT / "compose.yaml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
LITELLM_CONFIG = REPO_ROOT / "litellm_config.yaml"
SETUP = REPO_ROOT / "scripts" / "setup-test-env.sh"
SCHEMA_CANDIDATES = [Path("/usr/lib/python3/dist-packages/compose/config/compose_spec.json")]
SECRETS = {"LITELLM_MASTER_KEY": "sk-compose-test-0000", "WEBUI_SECRET_KEY": "compose-test-secret",
           "WEBUI_ADMIN_PASSWORD": "compose-test-password"}
HINT = "run `scripts/setup-test-env.sh debian` (installs Debian's docker-compose)"


def docker_compose() -> str:
    exe = shutil.which("docker-compose")
    if not exe:
        pytest.fail(f"docker-compose is not installed; {HINT}")
    return exe


def compose_schema() -> dict:
    for p in SCHEMA_CANDIDATES:
        if p.exists():
            return json.loads(p.read_text())
    pytest.fail(f"the Compose specification schema (compose_spec.json) was not found; {HINT}")


def env_file(tmp_path: Path, **overrides) -> Path:
    """.env.example with the secrets filled in (overrides: None = leave the example's value)."""
    return fill_env_file(tmp_path / "test.env", [ENV_EXAMPLE], {**SECRETS, **overrides})


def run_config(tmp_path: Path, env_path: Path, *extra: str) -> subprocess.CompletedProcess:
    # a clean environment: only the env file decides (a developer's shell or .env must not leak in)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    return subprocess.run([docker_compose(), "-f", str(COMPOSE), "--project-directory", str(REPO_ROOT),
                           "--env-file", str(env_path), "config", *extra],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def cfg(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("compose")
    p = run_config(tmp, env_file(tmp))
    assert p.returncode == 0, p.stderr
    return yaml.safe_load(p.stdout)


def test_the_real_parser_accepts_compose_yaml(tmp_path):
    p = run_config(tmp_path, env_file(tmp_path), "-q")
    assert p.returncode == 0, p.stderr


def test_the_parser_rejects_a_broken_copy(tmp_path):
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text().replace("condition: service_healthy", "condition: service_ready", 1))
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    p = subprocess.run([docker_compose(), "-f", str(broken), "--env-file", str(env_file(tmp_path)), "config", "-q"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode != 0 and "service_ready" in p.stderr


def test_compose_spec_schema_accepts_the_file_and_the_resolved_config(cfg):
    schema = compose_schema()
    validator = jsonschema.Draft7Validator(schema)
    raw = yaml.safe_load(COMPOSE.read_text())
    for doc, what in ((raw, "compose.yaml"), (cfg, "docker-compose config output")):
        errors = [f"{list(e.path)}: {e.message[:200]}" for e in validator.iter_errors(doc)]
        assert not errors, f"{what}: {errors}"


def test_empty_secrets_stop_compose_with_a_message(tmp_path):
    # .env.example as shipped: secrets empty -> docker-compose refuses and names the variable
    p = run_config(tmp_path, ENV_EXAMPLE, "-q")
    assert p.returncode != 0 and "set LITELLM_MASTER_KEY in .env" in p.stderr
    p = run_config(tmp_path, env_file(tmp_path, WEBUI_ADMIN_PASSWORD=""), "-q")
    assert p.returncode != 0 and "WEBUI_ADMIN_PASSWORD" in p.stderr


def test_services_and_dependencies(cfg):
    s = cfg["services"]
    assert set(s) == {"ollama-a", "ollama-b", "ollama-pull", "litellm", "open-webui", "router-install"}

    def cond(svc, dep):
        return (s[svc].get("depends_on") or {}).get(dep, {}).get("condition")

    assert cond("ollama-pull", "ollama-a") == cond("ollama-pull", "ollama-b") == "service_healthy"
    assert cond("litellm", "ollama-a") == cond("litellm", "ollama-b") == "service_healthy"
    assert cond("open-webui", "litellm") == "service_healthy"
    assert cond("router-install", "open-webui") == "service_healthy"
    for name in ("ollama-a", "ollama-b", "litellm", "open-webui"):
        hc = s[name].get("healthcheck") or {}
        assert hc.get("test"), f"{name} has no healthcheck"
    for job in ("ollama-pull", "router-install"):
        assert s[job].get("restart") == "no"


def test_only_open_webui_is_published_on_all_interfaces(cfg):
    published = {}
    for name, svc in cfg["services"].items():
        for port in svc.get("ports") or []:
            spec = port if isinstance(port, str) else f"{port.get('host_ip', '')}:{port.get('published')}:{port.get('target')}"
            published.setdefault(name, []).append(spec)
    assert set(published) <= {"open-webui", "litellm"}
    assert any(p.endswith(":8080/tcp") or p.endswith(":8080") for p in published["open-webui"])
    for spec in published.get("litellm", []):
        assert spec.startswith("127.0.0.1:"), f"LiteLLM must only listen on loopback: {spec}"


def _versions_from_setup():
    text = SETUP.read_text()
    return (re.search(r'LITELLM_VERSION="([^"]+)"', text)[1], re.search(r'OPENWEBUI_VERSION="([^"]+)"', text)[1])


def test_images_are_pinned_to_the_tested_versions(cfg):
    litellm_v, owui_v = _versions_from_setup()
    s = cfg["services"]
    for name, svc in s.items():
        image = svc["image"]
        tag = image.rsplit(":", 1)[1] if ":" in image.split("/")[-1] else ""
        assert tag and tag not in ("latest", "main", "main-latest", "main-stable"), f"{name}: unpinned {image}"
        # an exact version (digits and dots, optional v and suffix), not a floating tag such as 3.11-slim
        assert re.fullmatch(r"v?\d+\.\d+\.\d+(-[\w.]+)?", tag), f"{name}: {image} is not pinned to an exact version"
    assert s["litellm"]["image"].endswith(f"-v{litellm_v}") or s["litellm"]["image"].endswith(f":v{litellm_v}")
    assert s["open-webui"]["image"].endswith(f":v{owui_v}")
    assert s["ollama-a"]["image"] == s["ollama-b"]["image"] and s["ollama-a"]["image"].startswith("ollama/ollama:")


def _env(svc):
    e = svc.get("environment") or {}
    return e if isinstance(e, dict) else dict(x.split("=", 1) for x in e)


def _volumes(svc):
    out = []
    for v in svc.get("volumes") or []:
        if isinstance(v, str):
            parts = v.split(":")
            out.append((parts[0], parts[1], "ro" in parts[2:]))
        else:
            out.append((v.get("source"), v.get("target"), bool(v.get("read_only"))))
    return out


def test_ollama_instances_have_their_own_volumes(cfg):
    a = [src for src, dst, _ in _volumes(cfg["services"]["ollama-a"]) if dst == "/root/.ollama"]
    b = [src for src, dst, _ in _volumes(cfg["services"]["ollama-b"]) if dst == "/root/.ollama"]
    assert a and b and a != b and set(a + b) <= set(cfg["volumes"])


def test_litellm_runs_this_config_read_only_with_env_from_dotenv(cfg):
    svc = cfg["services"]["litellm"]
    env = _env(svc)
    assert env["LITELLM_MASTER_KEY"] == SECRETS["LITELLM_MASTER_KEY"]
    assert env["OLLAMA_A_URL"] == "http://ollama-a:11434" and env["OLLAMA_B_URL"] == "http://ollama-b:11434"
    vols = {dst: (Path(src), ro) for src, dst, ro in _volumes(svc)}
    entry = svc["entrypoint"]
    config_in_container = entry[entry.index("--config") + 1]
    src, ro = vols[config_in_container]
    assert src.resolve() == LITELLM_CONFIG.resolve() and ro
    launcher = entry[1]
    assert vols[launcher][0].resolve() == (REPO_ROOT / "scripts" / "litellm_request_log.py").resolve()
    # every os.environ/ reference of the config is provided by the service
    needed = set(re.findall(r"os\.environ/(\w+)", LITELLM_CONFIG.read_text()))
    assert needed <= set(env), needed - set(env)
    cmd = svc["command"]
    assert cmd[cmd.index("--port") + 1] == "4000"


def test_open_webui_talks_to_litellm_only(cfg):
    svc = cfg["services"]["open-webui"]
    env = _env(svc)
    assert env["ENABLE_OLLAMA_API"] == "false"
    assert env["OPENAI_API_BASE_URL"] == "http://litellm:4000/v1"
    assert env["OPENAI_API_KEY"] == SECRETS["LITELLM_MASTER_KEY"]
    assert env["ENABLE_API_KEYS"] == "true"
    assert env["WEBUI_ADMIN_PASSWORD"] == SECRETS["WEBUI_ADMIN_PASSWORD"]
    assert any(dst == "/app/backend/data" for _, dst, _ in _volumes(svc))


def test_jobs_run_the_repository_scripts(cfg):
    s = cfg["services"]
    pull = s["ollama-pull"]
    assert any(Path(src).resolve() == (REPO_ROOT / "scripts").resolve() and ro for src, _, ro in _volumes(pull))
    assert "/scripts/pull-models.sh" in " ".join(pull["entrypoint"])
    # no fixed list: the job pulls what the LiteLLM config in use names (LITELLM_CONFIG, default the
    # same file litellm mounts), read from a read-only copy of it and of the files it includes
    assert _env(pull)["OLLAMA_MODELS_TO_PULL"] == ""
    pull_vols = {dst: (Path(src), ro) for src, dst, ro in _volumes(pull)}
    src, ro = pull_vols[_env(pull)["OLLAMA_MODELS_FROM"]]
    assert src.resolve() == LITELLM_CONFIG.resolve() and ro
    assert pull_vols[str(Path(_env(pull)["OLLAMA_MODELS_FROM"]).with_name("litellm_config.reasoning.yaml"))][1]
    assert set(_env(pull)["OLLAMA_URLS"].split()) == {"http://ollama-a:11434", "http://ollama-b:11434"}

    inst = s["router-install"]
    # the Python of the pinned Open WebUI image (requests, pydantic): nothing installed at run time
    assert inst["image"] == s["open-webui"]["image"]
    run = " ".join(inst.get("entrypoint") or []) + " " + " ".join(inst.get("command") or [])
    assert "pip" not in run and "install-router.py install" in run
    # only what install-router.py reads, all read-only: the script, src/ (the package, whatever its
    # layout) and the generated function; never the repository root (.env, .venvs/)
    vols = {Path(src).resolve(): (dst, ro) for src, dst, ro in _volumes(inst)}
    assert set(vols) == {(REPO_ROOT / "scripts" / "install-router.py").resolve(), (REPO_ROOT / "src").resolve(),
                         (REPO_ROOT / "functions" / "router_filter.py").resolve()}, vols
    assert all(ro for _, ro in vols.values())
    script = vols[(REPO_ROOT / "scripts" / "install-router.py").resolve()][0]
    root = script.rsplit("/scripts/", 1)[0]  # the script puts <root>/src on sys.path
    assert vols[(REPO_ROOT / "src").resolve()][0] == f"{root}/src"
    assert vols[(REPO_ROOT / "functions" / "router_filter.py").resolve()][0] == f"{root}/functions/router_filter.py"
    assert inst["entrypoint"][1] == script
    env = _env(inst)
    assert env["OWUI_URL"] == "http://open-webui:8080"
    assert env["OWUI_ADMIN_EMAIL"] and env["OWUI_ADMIN_PASSWORD"] == SECRETS["WEBUI_ADMIN_PASSWORD"]


def test_env_example_lists_every_variable_and_no_secret_is_committed():
    without_comments = re.sub(r"(?m)(^|\s)#.*$", "", COMPOSE.read_text())
    compose_vars = set(re.findall(r"\$\{(\w+)", without_comments))
    assert "LITELLM_MASTER_KEY" in compose_vars
    example = {line.split("=", 1)[0]: line.split("=", 1)[1] for line in ENV_EXAMPLE.read_text().splitlines()
               if "=" in line and not line.startswith("#")}
    assert compose_vars <= set(example), f"missing in .env.example: {compose_vars - set(example)}"
    for key in SECRETS:
        assert example[key] == "", f"{key} must be empty in .env.example"
    assert not re.search(r"sk-[A-Za-z0-9]{6,}", COMPOSE.read_text())
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=REPO_ROOT).returncode == 0
    assert ignored, ".env must be git-ignored"
    tracked = subprocess.run(["git", "ls-files", ".env"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    assert tracked.strip() == ""


def test_litellm_config_selects_the_reasoning_file_for_the_proxy_and_the_pull(tmp_path):
    """LITELLM_CONFIG=litellm_config.reasoning.yaml: the proxy runs that file, which finds the file it
    includes next to it in the container, and the pull job reads the same file."""
    r = run_config(tmp_path, env_file(tmp_path, LITELLM_CONFIG="litellm_config.reasoning.yaml"))
    assert r.returncode == 0, r.stderr
    cfg = yaml.safe_load(r.stdout)
    svc, pull = cfg["services"]["litellm"], cfg["services"]["ollama-pull"]
    vols = {dst: Path(src).resolve() for src, dst, _ in _volumes(svc)}
    config_in_container = svc["entrypoint"][svc["entrypoint"].index("--config") + 1]
    assert vols[config_in_container] == (REPO_ROOT / "litellm_config.reasoning.yaml").resolve()
    included = yaml.safe_load((REPO_ROOT / "litellm_config.reasoning.yaml").read_text())["include"]
    for name in included:
        assert vols[str(Path(config_in_container).with_name(name))] == (REPO_ROOT / name).resolve()
    pull_vols = {dst: Path(src).resolve() for src, dst, _ in _volumes(pull)}
    assert pull_vols[_env(pull)["OLLAMA_MODELS_FROM"]] == (REPO_ROOT / "litellm_config.reasoning.yaml").resolve()
    for name in included:
        assert str(Path(_env(pull)["OLLAMA_MODELS_FROM"]).with_name(name)) in pull_vols
