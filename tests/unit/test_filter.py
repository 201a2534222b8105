"""The Filter as Open WebUI calls it: inlet() sets body['model'], says why, never raises, never loses the body."""

import asyncio
import copy
import logging

import pytest

from owui_router_filter.function.filter import Filter


def run(coro):
    return asyncio.run(coro)


def body_of(text, model="auto"):
    return {"model": model, "messages": [{"role": "user", "content": text}], "stream": True}


class Emitter:
    def __init__(self):
        self.events = []

    async def __call__(self, event):
        self.events.append(event)


def test_inlet_with_no_other_argument_routes_and_returns_the_body():
    body = body_of("Crie uma função em Python que leia um CSV")
    out = run(Filter().inlet(body))
    assert out is body
    assert out["model"] == "gpt-code"
    assert out["stream"] is True and out["messages"][0]["content"].startswith("Crie")


def test_status_line_names_the_model_and_the_reasons():
    emitter = Emitter()
    run(Filter().inlet(body_of("Traceback (most recent call last):\n  File \"a.py\", line 1\nKeyError: 'x'"), __event_emitter__=emitter))
    assert len(emitter.events) == 1
    event = emitter.events[0]
    assert event["type"] == "status" and event["data"]["done"] is True
    description = event["data"]["description"]
    assert description.startswith("gpt-code: ") and "stack trace" in description


def test_status_can_be_turned_off_by_admin_and_by_user():
    flt = Filter()
    flt.valves = flt.Valves(show_status=False)
    emitter = Emitter()
    run(flt.inlet(body_of("write a python function"), __event_emitter__=emitter))
    assert emitter.events == []
    emitter = Emitter()
    user = {"id": "u1", "valves": Filter.UserValves(show_status=False)}
    out = run(Filter().inlet(body_of("write a python function"), __event_emitter__=emitter, __user__=user))
    assert out["model"] == "gpt-code" and emitter.events == []


def test_override_prefix_is_removed_from_the_message():
    body = body_of("#chat write a python function")
    out = run(Filter().inlet(body))
    assert out["model"] == "gpt-chat"
    assert out["messages"][-1]["content"] == "write a python function"
    parts = {"model": "auto", "messages": [{"role": "user", "content": [{"type": "text", "text": "#code: hello"}]}]}
    out = run(Filter().inlet(parts))
    assert out["model"] == "gpt-code" and out["messages"][0]["content"][0]["text"] == "hello"


def test_user_opt_out_keeps_the_model():
    user = {"id": "u1", "valves": Filter.UserValves(enabled=False)}
    out = run(Filter().inlet(body_of("write a python function"), __user__=user))
    assert out["model"] == "auto"
    user_dict = {"id": "u1", "valves": {"enabled": False}}
    assert run(Filter().inlet(body_of("write a python function"), __user__=user_dict))["model"] == "auto"


def test_explicit_model_choice_is_respected():
    out = run(Filter().inlet(body_of("write a python function", model="gpt-chat")))
    assert out["model"] == "gpt-chat"


def test_valves_as_open_webui_applies_them():
    flt = Filter()
    flt.valves = flt.Valves(**{"code_model": "coder-x", "route_from_models": "*"})
    assert run(flt.inlet(body_of("write a python function", model="llama3")))["model"] == "coder-x"


def test_the_model_from___model___is_used_when_the_body_has_none():
    body = {"messages": [{"role": "user", "content": "write a python function"}]}
    assert run(Filter().inlet(body, __model__={"id": "auto"}))["model"] == "gpt-code"
    body = {"messages": [{"role": "user", "content": "write a python function"}]}
    assert "model" not in run(Filter().inlet(body, __model__={"id": "gpt-chat"}))


LONE_SURROGATE = "def f():\ud800 return 1"
BAD_BODIES = [
    {},
    {"model": "auto"},
    {"model": "auto", "messages": None},
    {"model": "auto", "messages": "hello"},
    {"model": "auto", "messages": []},
    {"model": "auto", "messages": [None, 3, "x", []]},
    {"model": "auto", "messages": [{"role": "user", "content": None}]},
    {"model": "auto", "messages": [{"role": "user", "content": 42}]},
    {"model": "auto", "messages": [{"role": "user", "content": []}]},
    {"model": "auto", "messages": [{"role": "user"}]},
    {"model": "auto", "messages": [{"role": "wizard", "content": "write python"}]},
    {"model": "auto", "messages": [{"role": "user", "content": [{"type": "text", "text": None}, {"type": "image_url"}, None, 5, {"x": {"y": [1]}}]}]},
    {"model": "auto", "messages": [{"role": "user", "content": {"nested": {"junk": [1, 2, {"deep": None}]}}}]},
    {"model": 12, "messages": [{"role": "user", "content": "write python code"}]},
    {"model": "auto", "messages": [{"role": "user", "content": LONE_SURROGATE}]},
    {"model": "auto", "messages": [{"role": "user", "content": [{"type": "text", "text": "#chat"}]}]},
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_input_never_raises_and_loses_nothing(body):
    before = copy.deepcopy(body)
    emitter = Emitter()
    out = run(Filter().inlet(body, __event_emitter__=emitter, __user__={"id": "u", "valves": None}))
    assert out is body
    # Only the model may change (and only to a routed alias); nothing else is lost or altered
    changed = {k for k in set(before) | set(out) if before.get(k) != out.get(k)}
    assert changed <= {"model", "messages"}
    if "messages" in changed:  # only the override token may be stripped
        assert before["messages"][0]["content"][0]["text"] == "#chat"


@pytest.mark.parametrize("body", [None, "text", 5, ["a"]])
def test_non_dict_bodies_come_back_as_they_were(body):
    assert run(Filter().inlet(body)) is body


def test_errors_inside_the_router_pass_the_body_through_and_are_logged(mocker, caplog):
    mocker.patch("owui_router_filter.function.filter.decide", side_effect=RuntimeError("boom"))
    body = body_of("write a python function")
    before = copy.deepcopy(body)
    with caplog.at_level(logging.ERROR, logger="owui_router_filter"):
        out = run(Filter().inlet(body))
    assert out == before
    assert "passing the request through" in caplog.text


def test_a_broken_emitter_does_not_break_the_chat():
    async def broken(event):
        raise ConnectionError("socket gone")

    out = run(Filter().inlet(body_of("write a python function"), __event_emitter__=broken))
    assert out["model"] == "gpt-code"


def test_a_one_megabyte_prompt_is_routed():
    prompt = ("lorem ipsum dolor sit amet " * 40000)[:1_000_000] + "\nwrite a python function"
    out = run(Filter().inlet(body_of(prompt)))
    assert out["model"] == "gpt-code"
    code = "def f(x):\n    return x\n" * 45000
    assert run(Filter().inlet(body_of(code)))["model"] == "gpt-code"


def test_prompt_text_is_not_logged_unless_debug(caplog):
    secret = "my password is hunter2, summarize my diary"
    with caplog.at_level(logging.DEBUG, logger="owui_router_filter"):
        run(Filter().inlet(body_of(secret)))
    assert "hunter2" not in caplog.text
    assert "route=chat" in caplog.text
    flt = Filter()
    flt.valves = flt.Valves(debug=True)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="owui_router_filter"):
        run(flt.inlet(body_of(secret)))
    assert "hunter2" in caplog.text
