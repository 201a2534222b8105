"""The optional reasoning group: the real LiteLLM proxy (1.108.0) with litellm_config.reasoning.yaml,
which reads litellm_config.yaml through LiteLLM's own `include` and adds gpt-reasoning
(deepseek-r1 on both instances, falling back to gpt-chat). Two Ollama stand-ins that have the five
models. The default file alone is tests/test_stack.py's: there /v1/models lists no gpt-reasoning.

Order matters: the fallback and kill tests run last (they cool deployments down).
"""
from __future__ import annotations

import json
import re
import subprocess
from collections import Counter

import pytest
import requests

from support.litellm_proxy import CONFIG_PATH, Stack, litellm_exe, proxy_env
from support.ollama_stub import remote_control, remote_stats

pytestmark = pytest.mark.stack

REASONING_CONFIG = CONFIG_PATH.with_name("litellm_config.reasoning.yaml")
ALIASES = {"gpt-chat": "llama3", "gpt-code": "deepseek-coder", "gpt-vision": "llava", "gpt-backup": "mistral",
           "gpt-reasoning": "deepseek-r1"}
REPLY_RE = re.compile(r"^\[(?P<inst>ollama-[ab]) (?P<model>[\w.:-]+)\] reply to: ")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("reasoning"), config=REASONING_CONFIG, request_log=True,
              stub_models=",".join(ALIASES.values()))
    try:
        s.start()
        yield s
    finally:
        s.stop()


def ask(stack, model, content="hello", stream=False):
    body = {"model": model, "messages": [{"role": "user", "content": content}], "stream": stream}
    r = requests.post(stack.proxy.url + "/v1/chat/completions", headers=stack.proxy.headers, json=body,
                      timeout=60, stream=stream)
    assert r.status_code == 200, r.text
    if stream:
        chunks = [json.loads(line[6:]) for line in r.iter_lines(decode_unicode=True)
                  if line.startswith("data: ") and line != "data: [DONE]"]
        text = "".join((c.get("delta") or {}).get("content") or "" for k in chunks for c in k.get("choices", []))
    else:
        text = r.json()["choices"][0]["message"]["content"]
    m = REPLY_RE.match(text)
    assert m, text[:500]
    inst, model_name = m["inst"], m["model"]
    return {"inst": inst, "model": model_name, "id": r.headers.get("x-litellm-model-id"),
            "fallbacks": int(r.headers.get("x-litellm-attempted-fallbacks") or 0)}


def reset(stack):
    for url in stack.urls.values():
        remote_control(url, reset=True, fail_models=[])


def test_the_group_is_listed_with_its_twin_next_to_the_aliases(stack):
    r = requests.get(stack.proxy.url + "/v1/models", headers=stack.proxy.headers, timeout=30)
    assert r.status_code == 200
    assert {m["id"] for m in r.json()["data"]} == set(ALIASES) | {a + "-cold" for a in ALIASES}


def test_reasoning_reaches_deepseek_r1_on_both_instances(stack):
    reset(stack)
    out = [ask(stack, "gpt-reasoning", f"prove {i}", stream=i % 4 == 3) for i in range(40)]
    assert {o["model"] for o in out} == {"deepseek-r1"}, out
    by_inst = Counter(o["inst"] for o in out)
    assert set(by_inst) == {"ollama-a", "ollama-b"} and min(by_inst.values()) >= 8, by_inst  # load balanced
    assert all(o["id"] == f"deepseek-r1@{o['inst']}" for o in out if not o["fallbacks"]), out
    print(f"\ngpt-reasoning over 40 requests: {dict(by_inst)}")


def test_the_included_aliases_are_unchanged(stack):
    reset(stack)
    for alias, model in ALIASES.items():
        o = ask(stack, alias, "hi")
        assert o["model"] == model and o["fallbacks"] == 0, (alias, o)


def test_reasoning_falls_back_to_the_chat_model(stack):
    reset(stack)
    for url in stack.urls.values():
        remote_control(url, fail_models=["deepseek-r1"])
    try:
        out = [ask(stack, "gpt-reasoning", f"fallback {i}", stream=i == 3) for i in range(6)]
    finally:
        for url in stack.urls.values():
            remote_control(url, fail_models=[])
    assert {o["model"] for o in out} == {"llama3"}, out
    assert all(o["fallbacks"] >= 1 for o in out), out
    failed = sum(remote_stats(u)["failed"].get("deepseek-r1", 0) for u in stack.urls.values())
    assert failed >= 2, failed  # both reasoning deployments really failed first


def test_one_instance_killed_reasoning_still_answers(stack):
    reset(stack)
    stack.kill_stub("ollama-b")
    try:
        out = [ask(stack, "gpt-reasoning", f"after kill {i}") for i in range(10)]
    finally:
        stack.restart_stub("ollama-b")
    assert {(o["model"], o["inst"]) for o in out} == {("deepseek-r1", "ollama-a")}, out


def test_litellm_validate_config_counts_the_included_models():
    env = proxy_env("http://127.0.0.1:9", "http://127.0.0.1:9", "sk-validate-only")
    p = subprocess.run([str(litellm_exe()), "--config", str(REASONING_CONFIG), "--validate_config"],
                       env=env, capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert "config OK (20 models)" in p.stdout + p.stderr  # 16 of litellm_config.yaml + 4
