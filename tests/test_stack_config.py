"""Static checks of litellm_config.yaml (fast; the behaviour is proven in test_stack.py)."""
import re

import yaml

from support.litellm_proxy import CONFIG_PATH

EXPECTED = {"gpt-chat": "llama3", "gpt-code": "deepseek-coder", "gpt-vision": "llava", "gpt-backup": "mistral"}
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
        assert info["id"] == f"{model}@{inst}"  # the id says which model on which instance
        seen.setdefault(group, set()).add(inst)
        ids.append(info["id"])
        # keys LiteLLM does not know are forwarded to Ollama as options and do nothing
        assert set(params) <= {"model", "api_base"}, params
    assert len(ids) == len(set(ids))
    assert seen["gpt-chat"] == seen["gpt-code"] == {"ollama-a", "ollama-b"}  # load balancing
    assert set(seen) == set(EXPECTED)


def test_fallbacks_point_at_existing_groups():
    rs = load()["router_settings"]
    fb = {}
    for entry in rs["fallbacks"]:
        assert len(entry) == 1  # one key per dict, as LiteLLM expects
        fb.update(entry)
    assert fb["gpt-chat"] == ["gpt-backup"]
    assert fb["gpt-code"][0] == "gpt-chat"
    for targets in fb.values():
        assert set(targets) <= set(EXPECTED)
    assert "gpt-vision" not in fb  # no text-only model may answer an image question


def test_reliability_settings_and_no_literal_secrets():
    cfg = load()
    rs = cfg["router_settings"]
    assert rs["routing_strategy"] == "simple-shuffle" and rs["enable_weighted_failover"] is True
    assert rs["num_retries"] >= 1 and rs["timeout"] > 0 and rs["cooldown_time"] > 0
    assert rs["allowed_fails"] != 3  # 3 is litellm's default and is read as "not set"
    # LiteLLM's own "no deployments" errors must not cool the backup down (see the config)
    assert rs["allowed_fails"] >= 100
    assert rs["allowed_fails_policy"]["InternalServerErrorAllowedFails"] <= 5
    assert cfg["general_settings"]["master_key"] == "os.environ/LITELLM_MASTER_KEY"
    text = CONFIG_PATH.read_text()
    assert not re.search(r"sk-[A-Za-z0-9]{8,}", text)
    assert "fallback_models" not in re.sub(r"#.*", "", text)
