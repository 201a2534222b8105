"""Routing through the real stack: POST /api/chat/completions on the real Open WebUI, model `auto`,
the router function installed by our installer, the real LiteLLM proxy, two Ollama stand-ins.

Which Ollama model answered is read from the stand-ins' own counters (and their replies name
the instance and model), so each assertion is about what really reached Ollama.
"""
from __future__ import annotations


import pytest

from support.images import tiny_png
from support.openwebui import http_json

pytestmark = [pytest.mark.e2e]

CODER, CHAT, VISION = "deepseek-coder", "llama3", "llava"


def assert_answered(reply, ollama_model: str, alias: str | None = None):
    assert reply.status == 200, reply
    assert reply.answered_by() == {ollama_model}, reply
    assert sum(reply.delta.values()) == 1, f"expected exactly one Ollama call: {reply}"
    assert f" {ollama_model}]" in reply.text, reply
    if alias:
        assert reply.model == alias, reply


@pytest.mark.parametrize("prompt", [
    "How do I fix this Python traceback? TypeError: 'NoneType' object is not subscriptable in def parse(data)",
    "Write a SQL query that joins orders and customers and groups by country",
    "Como faço para corrigir este erro de compilação no meu código Java? NullPointerException na linha 42",
    "Escreva uma função em Python que leia um arquivo CSV e some a segunda coluna",
], ids=["en-python", "en-sql", "pt-java", "pt-python"])
def test_code_prompt_goes_to_the_coder(installed, prompt):
    assert_answered(installed.chat("auto", prompt), CODER, "gpt-code")


@pytest.mark.parametrize("prompt", [
    "What should I cook for dinner tonight with chicken and rice?",
    "Qual é a capital da Austrália e por que não é Sydney?",
    "Write a short poem about autumn leaves",
], ids=["en-dinner", "pt-geo", "en-poem"])
def test_general_prompt_goes_to_the_chat_model(installed, prompt):
    assert_answered(installed.chat("auto", prompt), CHAT, "gpt-chat")


def test_image_goes_to_the_vision_model(installed):
    content = [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": tiny_png()}},
    ]
    reply = installed.chat("auto", content)
    assert_answered(reply, VISION, "gpt-vision")
    assert sum(reply.images.values()) == 1, f"the image did not reach Ollama: {reply.images}"
    assert "saw 1 image" in reply.text


def test_follow_up_in_a_coding_conversation_stays_with_the_coder(installed):
    history = [
        {"role": "user", "content": "Write a Python function that parses a CSV file and returns a list of dicts."},
        {"role": "assistant", "content": "```python\nimport csv\n\ndef parse(path):\n    with open(path) as f:\n"
                                         "        return list(csv.DictReader(f))\n```"},
    ]
    follow_up = "Thanks! Can you make it faster?"
    # alone, the follow-up is not code: it goes to the chat model ...
    assert_answered(installed.chat("auto", follow_up), CHAT)
    # ... in the coding conversation it stays with the coder
    assert_answered(installed.chat("auto", follow_up, history=history), CODER, "gpt-code")


def test_hash_chat_override_wins_and_is_stripped(installed):
    reply = installed.chat("auto", "#chat How do I write a Python decorator with functools.wraps?")
    assert_answered(reply, CHAT, "gpt-chat")
    assert "reply to: How do I write a Python decorator" in reply.text, "the #chat prefix reached the model"
    # and #code forces the coder for a non-code text
    assert_answered(installed.chat("auto", "#code tell me about the weather in Lisbon"), CODER, "gpt-code")


def test_explicitly_chosen_model_is_respected(installed):
    # the router only routes requests for `auto`: a model picked by hand is left alone
    assert_answered(installed.chat("gpt-chat", "Fix this Python stack trace: KeyError in def main()"), CHAT, "gpt-chat")
    assert_answered(installed.chat("gpt-code", "What should I cook for dinner tonight?"), CODER, "gpt-code")


def test_user_opt_out_valve_is_respected(installed):
    s = installed
    user = s.owui.add_user(s.admin, "optout@example.com", name="Opt Out")
    code = "Refactor this Python class to use dataclasses: class Point: def __init__(self, x, y): ..."
    # a regular user is routed too (the installer made the aliases readable for users)
    assert_answered(s.chat("auto", code, token=user.token), CODER, "gpt-code")
    http_json("POST", f"{s.owui.url}/api/v1/functions/id/router_filter/valves/user/update",
              {"enabled": False}, token=user.token)
    try:
        # opted out: the request stays on Auto's base model (gpt-chat)
        assert_answered(s.chat("auto", code, token=user.token), CHAT)
        # other users are still routed
        assert_answered(s.chat("auto", code), CODER, "gpt-code")
    finally:
        http_json("POST", f"{s.owui.url}/api/v1/functions/id/router_filter/valves/user/update",
                  {"enabled": True}, token=user.token)
    assert_answered(s.chat("auto", code, token=user.token), CODER, "gpt-code")


def test_streaming_responses_work(installed):
    reply = installed.chat("auto", "Explain this Rust borrow checker error: cannot borrow `v` as mutable", stream=True)
    assert reply.status == 200, reply
    assert "text/event-stream" in reply.ctype, reply.ctype
    assert len(reply.chunks) >= 2, reply
    assert reply.answered_by() == {CODER}, reply
    assert reply.text.startswith("[inst-") and f" {CODER}]" in reply.text, reply
    chat = installed.chat("auto", "Tell me a fun fact about octopuses", stream=True)
    assert chat.status == 200 and chat.answered_by() == {CHAT}, chat
    assert f" {CHAT}]" in chat.text, chat


def test_every_request_succeeds_with_one_ollama_instance_killed(installed):
    s = installed
    s.kill_stub("inst-b")
    try:
        prompts = [
            ("How do I reverse a linked list in Java?", CODER, False),
            ("What is the best season to visit Japan?", CHAT, False),
            ("Fix: SyntaxError: invalid syntax in my Python for loop", CODER, True),
            ("Me recomende um livro de ficção científica", CHAT, True),
            ("Write a bash script that renames every .txt file to .md", CODER, False),
            ("How many legs does a spider have?", CHAT, False),
            ("Explique o que é uma closure em JavaScript com um exemplo de código", CODER, False),
            ("Give me three tips for better sleep", CHAT, True),
        ]
        failures = []
        for prompt, expected, stream in prompts:
            r = s.chat("auto", prompt, stream=stream)
            if r.status != 200 or r.answered_by() != {expected} or r.instances() != {"inst-a"}:
                failures.append(r)
        img = s.chat("auto", [{"type": "text", "text": "Describe this image"},
                              {"type": "image_url", "image_url": {"url": tiny_png()}}])
        if img.status != 200 or img.answered_by() != {VISION}:
            failures.append(img)
        assert not failures, f"{len(failures)} of {len(prompts) + 1} requests failed: {failures}"
    finally:
        s.restart_stub("inst-b")
