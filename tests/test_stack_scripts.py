"""scripts/pull-models.sh against Ollama stand-ins (POSIX sh + curl, as in the compose job)."""
import os
import shutil
import subprocess

import pytest

from support.ollama_stub import OllamaStub
from support.procs import REPO_ROOT, free_port

PULL = REPO_ROOT / "scripts" / "pull-models.sh"
ALL = ["llama3", "deepseek-coder", "llava", "mistral"]


def run_pull(*urls, **env):
    if not shutil.which("curl"):
        pytest.fail("curl is needed by scripts/pull-models.sh; install it (apt-get install curl)")
    e = {k: v for k, v in os.environ.items() if not k.startswith("OLLAMA_")}
    e.update(env)
    return subprocess.run(["sh", str(PULL), *urls], capture_output=True, text=True, env=e, timeout=120)


def test_pulls_what_is_missing_then_nothing():
    with OllamaStub("pa", models=["llama3"]) as a, OllamaStub("pb", models=[]) as b:
        p = run_pull(a.url, b.url)
        assert p.returncode == 0, p.stdout + p.stderr
        for stub in (a, b):
            assert set(stub.stats()["models"]) == set(ALL)
        assert a.stats()["paths"].get("/api/pull") == 3 and b.stats()["paths"].get("/api/pull") == 4
        assert f"{a.url} llama3: already present" in p.stdout
        # idempotent: the second run pulls nothing
        p2 = run_pull(OLLAMA_URLS=f"{a.url} {b.url}")
        assert p2.returncode == 0, p2.stdout + p2.stderr
        assert p2.stdout.count("already present") == 8
        assert a.stats()["paths"].get("/api/pull") == 3 and b.stats()["paths"].get("/api/pull") == 4


def test_model_list_comes_from_the_environment():
    with OllamaStub("pc", models=[]) as c:
        p = run_pull(c.url, OLLAMA_MODELS_TO_PULL="phi3 mistral")
        assert p.returncode == 0, p.stdout + p.stderr
        assert set(c.stats()["models"]) == {"phi3", "mistral"}


def test_a_failed_pull_fails_the_job():
    with OllamaStub("pd", models=["llama3"], fail_models=["llava"]) as d:
        p = run_pull(d.url)
        assert p.returncode == 1
        assert "llava: FAILED" in p.stdout and "file does not exist" in p.stdout
        assert "deepseek-coder" in d.stats()["models"]  # the others were still pulled


def test_unreachable_instance_fails_after_the_wait():
    p = run_pull(f"http://127.0.0.1:{free_port()}", OLLAMA_WAIT_SECONDS="2")
    assert p.returncode == 1 and "no answer after 2s" in p.stdout


def test_usage_without_urls():
    p = run_pull()
    assert p.returncode == 2 and "usage" in p.stderr


def test_each_model_is_warmed_on_each_instance_after_the_pull():
    with OllamaStub("wa", models=["llama3"]) as a, OllamaStub("wb", models=[]) as b:
        for stub in (a, b):
            stub.control(load_seconds=0.3)
        p = run_pull(a.url, b.url)
        assert p.returncode == 0, p.stdout + p.stderr
        for stub in (a, b):
            s = stub.stats()
            assert s["load_requests"] == {m: 1 for m in ALL}, s["load_requests"]  # one load-only request each
            assert set(s["loaded"]) == set(ALL) and s["requests"] == {}  # loaded, nothing generated
        assert p.stdout.count(": warm (loaded in") == 8


def test_warm_up_can_be_skipped_and_a_failed_load_fails_the_job():
    with OllamaStub("wc", models=ALL) as c:
        p = run_pull(c.url, OLLAMA_WARM="0")
        assert p.returncode == 0 and c.stats()["load_requests"] == {}
        c.control(hang=True)  # the runner is stuck: the load never answers
        p = run_pull(c.url, OLLAMA_WARM_TIMEOUT="1", OLLAMA_MODELS_TO_PULL="llama3")
        assert p.returncode == 1 and "llama3: warm-up FAILED" in p.stdout, p.stdout


def test_which_model_lists_user_requests_not_the_proxys_health_checks():
    """LiteLLM's background health checks go through the request-log callback with no model group."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    lines = [
        {"requested": None, "group": None, "deployment": None, "status": "ok"},
        {"requested": "gpt-code", "group": "gpt-code", "deployment": "deepseek-coder@ollama-b",
         "api_base": "http://ollama-b:11434", "status": "ok"},
    ] + [{"requested": None, "group": None, "deployment": None, "status": "ok"}] * 25
    text = "".join(f"litellm-1  | OWUI_ROUTER_REQUEST {json.dumps(r)}\n" for r in lines)
    p = subprocess.run([sys.executable, str(root / "scripts" / "which-model.py"), "-n", "20"], input=text,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "answered requests: 1" in p.stdout
    assert "gpt-code    deepseek-coder@ollama-b" in p.stdout and "None" not in p.stdout


# ---- the models come from the LiteLLM config the proxy runs (compose: OLLAMA_MODELS_FROM)
def test_models_named_by_the_config_and_its_includes_are_pulled(tmp_path):
    with OllamaStub("pf", models=[]) as f, OllamaStub("pg", models=[]) as g:
        p = run_pull(f.url, OLLAMA_MODELS_FROM=str(REPO_ROOT / "litellm_config.yaml"), OLLAMA_WARM="0")
        assert p.returncode == 0, p.stdout + p.stderr
        assert sorted(f.stats()["models"]) == sorted(ALL)
        # litellm_config.reasoning.yaml names deepseek-r1 and includes litellm_config.yaml
        p = run_pull(f.url, g.url, OLLAMA_MODELS_FROM=str(REPO_ROOT / "litellm_config.reasoning.yaml"),
                     OLLAMA_WARM="0")
        assert p.returncode == 0, p.stdout + p.stderr
        for stub in (f, g):
            assert sorted(stub.stats()["models"]) == sorted(ALL + ["deepseek-r1"])
        assert f.stats()["paths"].get("/api/pull") == 5  # 4, then only deepseek-r1
        # an include is read next to the file that names it, wherever that is
        (tmp_path / "sub").mkdir()
        (tmp_path / "sub" / "base.yaml").write_text("model_list:\n  - litellm_params: {model: ollama/phi3}\n")
        (tmp_path / "top.yaml").write_text("include:\n  - sub/base.yaml\nmodel_list:\n"
                                           "  # - model: ollama_chat/commented-out\n"
                                           "  - litellm_params:\n      model: \"ollama_chat/qwq:32b\"\n")
        p = run_pull(g.url, OLLAMA_MODELS_FROM=str(tmp_path / "top.yaml"), OLLAMA_WARM="0")
        assert p.returncode == 0, p.stdout + p.stderr
        assert "models named by top.yaml: qwq:32b phi3" in p.stdout, p.stdout
        assert "commented-out" not in g.stats()["models"]


def test_a_list_that_misses_a_model_of_the_config_is_warned_about():
    with OllamaStub("ph", models=[]) as h:
        p = run_pull(h.url, OLLAMA_MODELS_TO_PULL="llama3 mistral", OLLAMA_WARM="0",
                     OLLAMA_MODELS_FROM=str(REPO_ROOT / "litellm_config.reasoning.yaml"))
        assert p.returncode == 0, p.stdout + p.stderr
        assert set(h.stats()["models"]) == {"llama3", "mistral"}  # the list wins
        warned = [line for line in p.stdout.splitlines() if "WARNING" in line]
        assert sorted(w.split(" uses ")[1].split(",")[0] for w in warned) == ["deepseek-coder", "deepseek-r1", "llava"]


def test_an_unreadable_config_stops_before_pulling(tmp_path):
    with OllamaStub("pi", models=[]) as i:
        p = run_pull(i.url, OLLAMA_MODELS_FROM=str(tmp_path / "nope.yaml"))
        assert p.returncode == 2 and "cannot read the LiteLLM config" in p.stderr, p.stdout + p.stderr
        (tmp_path / "empty.yaml").write_text("model_list: []\n")
        p = run_pull(i.url, OLLAMA_MODELS_FROM=str(tmp_path / "empty.yaml"))
        assert p.returncode == 2 and "names no Ollama model" in p.stderr, p.stdout + p.stderr
        assert i.stats()["paths"].get("/api/pull") is None
