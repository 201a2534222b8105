"""Static checks of litellm_config.yaml (fast; the behaviour is proven in test_stack.py)."""
import re

import yaml

from support.litellm_proxy import CONFIG_PATH

ALIASES = {"gpt-chat": "llama3", "gpt-code": "deepseek-coder", "gpt-vision": "llava", "gpt-backup": "mistral"}
# each alias has a cold-start twin: same model, same instances, time to load (fallback only)
EXPECTED = {**ALIASES, **{f"{a}-cold": m for a, m in ALIASES.items()}}
INSTANCE_ENV = {"os.environ/OLLAMA_A_URL": "ollama-a", "os.environ/OLLAMA_B_URL": "ollama-b"}


def load():
    return yaml.safe_load(CONFIG_PATH.read_text())


def test_groups_models_instances_and_ids():
    cfg = load()
    seen = {}
    ids = []
    for d in cfg["model_list"]:
        group, params, info = d["model_name"], d["litellm_params"], d["model_info"]
        assert params["model"].startswith("ollama_chat/"), params["model"]
        model = params["model"].split("/", 1)[1]
        assert EXPECTED[group] == model
        inst = INSTANCE_ENV[params["api_base"]]  # URLs only from the environment
        cold = group.endswith("-cold")
        # the id says which model on which instance (and the cold-start tier)
        assert info["id"] == (f"{model}/cold@{inst}" if cold else f"{model}@{inst}")
        seen.setdefault(group, set()).add(inst)
        ids.append(info["id"])
        # keys LiteLLM does not know are forwarded to Ollama as options and do nothing
        assert set(params) <= {"model", "api_base", "stream_timeout", "timeout", "num_retries"}, params
        if not cold:
            # a warm model always meets 15 s; a hung instance costs one user about that
            assert params["stream_timeout"] <= 20 and params["timeout"] >= 60
            assert info["health_check_timeout"] >= 90  # long enough for a model load
        else:
            assert params["stream_timeout"] >= 90 and params["timeout"] >= params["stream_timeout"]
            assert info["disable_background_health_check"] is True
            assert params["num_retries"] == 0  # one try per instance (see the config's measurement)
    assert len(ids) == len(set(ids))
    assert all(insts == {"ollama-a", "ollama-b"} for insts in seen.values()), seen  # both, in both tiers
    assert seen["gpt-chat"] == seen["gpt-code"] == {"ollama-a", "ollama-b"}  # load balancing
    assert set(seen) == set(EXPECTED)


def test_fallbacks_point_at_existing_groups():
    rs = load()["router_settings"]
    fb = {}
    for entry in rs["fallbacks"]:
        assert len(entry) == 1  # one key per dict, as LiteLLM expects
        fb.update(entry)
    # first the alias's own cold-start twin (same model, time to load), then other models
    assert fb["gpt-chat"] == ["gpt-chat-cold", "gpt-backup"]
    assert fb["gpt-code"][:2] == ["gpt-code-cold", "gpt-chat"]
    # the optional group's line (litellm_config.reasoning.yaml adds the group): chat, then backup
    assert fb.pop("gpt-reasoning") == ["gpt-reasoning-cold", "gpt-chat", "gpt-backup"]
    for targets in fb.values():
        assert set(targets) <= set(EXPECTED)
    # no text-only model may answer an image question: vision falls back to llava only
    assert fb["gpt-vision"] == ["gpt-vision-cold"] and EXPECTED["gpt-vision-cold"] == "llava"
    assert set(fb) <= set(ALIASES)


def test_reliability_settings_and_no_literal_secrets():
    cfg = load()
    rs = cfg["router_settings"]
    assert rs["routing_strategy"] == "simple-shuffle" and rs["enable_weighted_failover"] is True
    # the other instance is tried by weighted failover; retries inside a group would multiply
    # the 15 s tries of a model load (see the config's measurement)
    assert rs["num_retries"] == 0 and rs["timeout"] > 0 and rs["cooldown_time"] > 0
    assert rs["allowed_fails"] != 3  # 3 is litellm's default and is read as "not set"
    # LiteLLM's own "no deployments" errors must not cool the backup down (see the config)
    assert rs["allowed_fails"] >= 100
    assert rs["allowed_fails_policy"]["InternalServerErrorAllowedFails"] <= 5
    assert rs["allowed_fails_policy"]["TimeoutErrorAllowedFails"] == 0  # a hung instance costs ONE user
    gs = cfg["general_settings"]
    assert gs["background_health_checks"] is True and 30 <= gs["health_check_interval"] <= 600
    assert cfg["general_settings"]["master_key"] == "os.environ/LITELLM_MASTER_KEY"
    text = CONFIG_PATH.read_text()
    assert not re.search(r"sk-[A-Za-z0-9]{8,}", text)
    assert "fallback_models" not in re.sub(r"#.*", "", text)


# ---- the optional reasoning group (litellm_config.reasoning.yaml), merged by LiteLLM's own code
REASONING_PATH = CONFIG_PATH.with_name("litellm_config.reasoning.yaml")
MERGE = """
import asyncio, json, sys, yaml
from litellm.proxy.common_utils.config_includes import resolve_include_file_path, resolve_includes
path = sys.argv[1]
async def read(p):
    return yaml.safe_load(open(p))
cfg = yaml.safe_load(open(path))
merged = asyncio.run(resolve_includes(config=cfg, location=path,
    resolve=lambda entry, declared: resolve_include_file_path(entry, declared, path), read=read))
print(json.dumps(merged))
"""


def litellm_merged(path) -> dict:
    """The config as LiteLLM 1.108.0 reads it, includes merged (run in the LiteLLM venv)."""
    import json
    import subprocess

    from support import procs
    p = subprocess.run([str(procs.venv_bin("litellm", "python")), "-c", MERGE, str(path)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout)


def test_reasoning_config_is_the_default_plus_one_group():
    base, merged = load(), litellm_merged(REASONING_PATH)
    # every key but model_list is litellm_config.yaml's, unchanged
    assert {k: v for k, v in merged.items() if k != "model_list"} == {k: v for k, v in base.items() if k != "model_list"}
    extra = [d for d in merged["model_list"] if d not in base["model_list"]]
    assert len(merged["model_list"]) == len(base["model_list"]) + 4 and len(extra) == 4
    by_group = {}
    for d in extra:
        params, info = d["litellm_params"], d["model_info"]
        assert params["model"] == "ollama_chat/deepseek-r1"
        inst = INSTANCE_ENV[params["api_base"]]
        cold = d["model_name"].endswith("-cold")
        assert info["id"] == (f"deepseek-r1/cold@{inst}" if cold else f"deepseek-r1@{inst}")
        by_group.setdefault(d["model_name"], set()).add(inst)
        if cold:  # the same tiers as the aliases of litellm_config.yaml
            assert params["stream_timeout"] >= 90 and params["num_retries"] == 0
            assert info["disable_background_health_check"] is True
        else:
            assert params["stream_timeout"] <= 20 and params["timeout"] >= 120 and info["health_check_timeout"] >= 90
    assert by_group == {"gpt-reasoning": {"ollama-a", "ollama-b"}, "gpt-reasoning-cold": {"ollama-a", "ollama-b"}}
    groups = {d["model_name"] for d in merged["model_list"]}
    fallbacks = {k: v for e in merged["router_settings"]["fallbacks"] for k, v in e.items()}
    assert set(fallbacks["gpt-reasoning"]) <= groups and fallbacks["gpt-reasoning"][1] == "gpt-chat"
    # the default stack has no such group: the fallback line there is inert
    assert "gpt-reasoning" not in {d["model_name"] for d in base["model_list"]}
