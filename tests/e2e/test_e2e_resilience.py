"""Failures and concurrent users through the REAL Open WebUI with the router installed (model
`auto`), the real LiteLLM proxy and two Ollama stand-ins (the only stand-ins).

- An Ollama container that crashes in the middle of an answer: what the Open WebUI client gets
  (the partial answer, then an error), and that the next message of the same chat is answered
  by the other instance.
- Two users, five streaming chats each (code, chat, vision mixed) at the same time: no error,
  each answered by the model the router picked. (The load figures come from
  benchmarks/load_openwebui.py, started by hand.)
"""
from __future__ import annotations

import json
import threading

import pytest

from support.images import tiny_png
from support.ollama_stub import remote_control

pytestmark = [pytest.mark.e2e]


def stream_events(reply):
    """The SSE `data:` objects of a streamed Open WebUI reply (content chunks and error events)."""
    out = []
    for line in reply.raw.splitlines():
        line = line.strip()
        if line.startswith("data:") and line[5:].strip() not in ("", "[DONE]"):
            try:
                out.append(json.loads(line[5:]))
            except ValueError:
                out.append({"unparsed": line[5:]})
    return out


def test_an_instance_crashing_mid_answer_then_the_next_message_goes_to_the_other(installed):
    stack = installed
    a_url, b_url = stack.stubs["inst-a"][1], stack.stubs["inst-b"][1]
    # inst-a crashes (the whole process exits) after 3 chunks of its next stream; inst-b does not
    # have llama3 for this one request (404, which LiteLLM re-sends elsewhere without a
    # cooldown), so the first message surely lands on inst-a
    remote_control(a_url, die_after_chunks=3, die_exit=True, reply_words=10)
    remote_control(b_url, fail_models=["llama3"], fail_status=404)
    prompt = "What should I cook for dinner tonight with chicken and rice?"
    try:
        first = stack.chat("auto", prompt, stream=True, timeout=120)
        remote_control(b_url, fail_models=[])
        events = stream_events(first)
        errors = [e for e in events if "error" in e]
        print(f"\nFIGURES owui_mid_stream_death: status={first.status} partial={first.text!r} "
              f"error={json.dumps(errors)[:300]}")
        # what the user sees: the start of the answer, then an error instead of the rest
        assert first.status == 200, first
        assert first.text.startswith("[inst-a llama3]"), first
        assert "w10" not in first.text
        assert errors and "APIConnectionError" in json.dumps(errors), events[-3:]
        stack.stubs["inst-a"][0].popen.wait(timeout=10)  # the crashed "container" is gone

        # the user sends the next message in the same chat: answered by the other instance
        history = [{"role": "user", "content": prompt}, {"role": "assistant", "content": first.text}]
        second = stack.chat("auto", "And what about a dessert?", history=history, stream=True, timeout=120)
        print(f"FIGURES owui_next_message: status={second.status} text={second.text[:60]!r}")
        assert second.status == 200 and not [e for e in stream_events(second) if "error" in e], second
        assert second.text.startswith("[inst-b llama3]"), second
    finally:
        remote_control(b_url, fail_models=[])
        stack.restart_stub("inst-a")  # same port: back in rotation (a refused port is never cooled)


CASES = [
    ("Write a Python function that parses a CSV file and sums the second column", "deepseek-coder"),
    ("What should I cook for dinner tonight?", "llama3"),
    ([{"type": "text", "text": "What is in this picture?"},
      {"type": "image_url", "image_url": {"url": tiny_png()}}], "llava"),
    ("Como faço um SELECT com JOIN entre pedidos e clientes em SQL?", "deepseek-coder"),
    ("Escreva um poema curto sobre o outono", "llama3"),
]


def test_two_users_five_streaming_chats_each_at_once(installed):
    stack = installed
    other = stack.owui.add_user(stack.admin, "load-user@example.com", name="Load User")
    tokens = {"admin": stack.api_key, "user": other.token}
    results, errors = [], []

    def user(name):
        for content, model in CASES:
            try:
                r = stack.chat("auto", content, token=tokens[name], stream=True, timeout=120)
                results.append((name, model, r.status, r.text,
                                [e for e in stream_events(r) if "error" in e]))
            except Exception as e:  # reported below
                errors.append((name, repr(e)))

    threads = [threading.Thread(target=user, args=(n,)) for n in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    print(f"\nFIGURES owui_two_users: chats={len(results)} errors={len(errors)}")
    assert not errors, errors
    assert len(results) == 2 * len(CASES)
    for name, model, status, text, errs in results:
        assert status == 200 and not errs, (name, model, status, errs)
        assert f" {model}] reply to:" in text, (name, model, text)
