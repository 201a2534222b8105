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
