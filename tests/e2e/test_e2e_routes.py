"""Routes of an admin, end to end: set with the installer's `--set routes=...` (a subprocess, as an
admin would run it), then chats on `auto` through the real Open WebUI and the real LiteLLM proxy
running litellm_config.reasoning.yaml reach the reasoning stand-in model (deepseek-r1).

Which Ollama model answered is read from the stand-ins' counters. Each test puts the valves back
(routes and long_context_model empty) so the other e2e tests see the default router.
"""
from __future__ import annotations

import pytest

from support.openwebui import http_json

pytestmark = [pytest.mark.e2e]

REASONING, CODER, CHAT = "deepseek-r1", "deepseek-coder", "llama3"
MATH = r"math -> gpt-reasoning: prove, theorem, integral, derivada, equação, /\d+\s*[x×*]\s*\d+/"


def assert_answered(reply, ollama_model: str, alias: str | None = None):
    assert reply.status == 200, reply
    assert reply.answered_by() == {ollama_model}, reply
    assert sum(reply.delta.values()) == 1, f"expected exactly one Ollama call: {reply}"
    if alias:
        assert reply.model == alias, reply


def valves(stack) -> dict:
    return http_json("GET", f"{stack.owui.url}/api/v1/functions/id/router_filter/valves",
                     token=stack.admin.token) or {}


def restore_valves(stack, stored: dict) -> None:
    """Put back exactly the valves that were stored before the test (the installer merges)."""
    http_json("POST", f"{stack.owui.url}/api/v1/functions/id/router_filter/valves/update", stored,
              token=stack.admin.token)
    assert valves(stack) == stored


@pytest.fixture
def with_routes(installed):
    s = installed
    stored = valves(s)
    rc, out, err = s.install("--set", f"routes={MATH}")
    try:
        assert rc == 0, err or out
        yield s
    finally:
        restore_valves(s, stored)


def test_a_route_set_through_the_installer_reaches_the_reasoning_model(with_routes):
    s = with_routes
    assert valves(s)["routes"] == MATH  # stored as given, unicode and backslashes intact
    assert_answered(s.chat("auto", "Prove the theorem that every bounded monotone sequence converges"),
                    REASONING, "gpt-reasoning")
    # Portuguese keyword and the regex (the × sign) count too; streaming works the same
    reply = s.chat("auto", "Quanto é 37 × 43? Mostre a equação passo a passo", stream=True)
    assert reply.status == 200 and reply.answered_by() == {REASONING}, reply
    assert f" {REASONING}]" in reply.text, reply
    # prompts no route claims still get code and chat
    assert_answered(s.chat("auto", "Fix this Python traceback: KeyError: 'id' in def load(row)"), CODER, "gpt-code")
    assert_answered(s.chat("auto", "What should I cook for dinner tonight?"), CHAT, "gpt-chat")


def test_follow_ups_stay_on_the_route_and_hash_name_forces_it(with_routes):
    s = with_routes
    history = [
        {"role": "user", "content": "Prove that the integral of 1/x from 1 to e equals 1."},
        {"role": "assistant", "content": "Since the antiderivative of 1/x is ln x, the integral is ln e - ln 1 = 1."},
    ]
    follow_up = "Can you explain the second step again?"
    assert_answered(s.chat("auto", follow_up), CHAT)  # alone it is chat
    assert_answered(s.chat("auto", follow_up, history=history), REASONING, "gpt-reasoning")
    reply = s.chat("auto", "#math what is the weather like in Lisbon?")
    assert_answered(reply, REASONING, "gpt-reasoning")
    assert "reply to: what is the weather like in Lisbon?" in reply.text, "the #math prefix reached the model"


def test_a_regular_user_is_routed_there_too(with_routes):
    # the installer shared gpt-reasoning with all users, as it does the three aliases: Open WebUI
    # checks the model the filter routes to, so without it a user's request fails "Model not found"
    s = with_routes
    user = s.owui.add_user(s.admin, "routes-user@example.com", name="Routes User")
    assert_answered(s.chat("auto", "Prove this theorem by induction: 1 + 2 + ... + n = n(n+1)/2",
                           token=user.token), REASONING, "gpt-reasoning")


def test_long_context_model_takes_a_long_conversation(with_routes):
    s = with_routes
    rc, out, err = s.install("--set", "long_context_model=gpt-backup", "--set", "long_context_tokens=2000")
    assert rc == 0, err or out
    long_paste = "Here is the meeting transcript. " + "We talked about the budget and the roadmap. " * 250
    assert_answered(s.chat("auto", long_paste + "\nSummarise it."), "mistral", "gpt-backup")
    assert_answered(s.chat("auto", "Prove the theorem of Pythagoras"), REASONING, "gpt-reasoning")


def test_a_route_to_a_model_open_webui_does_not_list_is_refused(installed):
    s = installed
    before = valves(s)
    rc, out, err = s.install("--set", "routes=legal -> gpt-legal: contract, clause")
    assert rc != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "routes[legal]='gpt-legal'" in lines[0], err
    assert valves(s) == before  # nothing was changed


def test_a_bad_routes_line_is_named_and_the_good_ones_still_work(installed):
    s = installed
    stored = valves(s)
    rc, out, err = s.install("--set", "routes=" + MATH + "\nthis line is not a route")
    try:
        assert rc == 0, err or out
        assert "routes line 2" in out + err, out + err
        assert_answered(s.chat("auto", "Prove the theorem"), REASONING, "gpt-reasoning")
    finally:
        restore_valves(s, stored)
