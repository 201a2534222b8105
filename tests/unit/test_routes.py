"""Routes the admin defines (`routes` valve) and the long-context route."""

import asyncio
import logging

from owui_router_filter import decide
from owui_router_filter.function.filter import Filter
from owui_router_filter.function.routes import parse_routes

MATH = r"math -> gpt-reasoning: prove, theorem, integral, derivada, equação, /\d+\s*[x×*]\s*\d+/"


def user(text):
    return [{"role": "user", "content": text}]


def test_a_route_line_is_parsed_into_terms_weights_threshold_and_regexes():
    parsed = parse_routes(MATH + "\nbig -> llama3:70b@5: essay:3, km/h, /\\bvs\\.?\\b/:1")
    math, big = parsed.routes
    assert (math.name, math.model, math.threshold) == ("math", "gpt-reasoning", 3.0)
    assert math.words.weights == {"prove": 2.0, "theorem": 2.0, "integral": 2.0, "derivada": 2.0, "equacao": 2.0}
    assert [p[1:] for p in math.patterns] == [(r"\d+\s*[x×*]\s*\d+", 2.0)]
    assert (big.model, big.threshold, big.words.weights["essay"]) == ("llama3:70b", 5.0, 3.0)
    assert [p[2] for p in big.patterns] == [1.0] and parsed.problems == ()


def test_the_best_route_above_its_threshold_wins_before_code_and_chat():
    valves = {"routes": MATH}
    decision = decide(user("Prove the theorem: the derivada of x^2 is 2x"), valves)
    assert (decision.route, decision.model, decision.source) == ("math", "gpt-reasoning", "route")
    assert ("prove", 2.0) in decision.signals and decision.status_text().startswith("gpt-reasoning: ")
    assert decide(user("what is 12 x 7? prove it"), valves).route == "math"  # regex + keyword
    assert decide(user("a theorem about my cat"), valves).route == "chat"  # 2 < 3
    assert decide(user("write a python function that sorts a list"), valves).route == "code"
    higher = decide(user("prove the theorem"), {"routes": MATH.replace("gpt-reasoning:", "gpt-reasoning@5:")})
    assert higher.route != "math"


def test_hash_name_forces_an_admin_route_and_is_removed():
    flt = Filter()
    flt.valves = flt.Valves(routes=MATH)
    body = {"model": "auto", "messages": [{"role": "user", "content": "#math how many primes below 100?"}]}
    asyncio.run(flt.inlet(body))
    assert body["model"] == "gpt-reasoning"
    assert body["messages"][0]["content"] == "how many primes below 100?"


def test_followups_stay_on_an_admin_route():
    messages = [
        {"role": "user", "content": "prove the theorem that there are infinitely many primes"},
        {"role": "assistant", "content": "Suppose there are finitely many..."},
        {"role": "user", "content": "and now make it shorter"},
    ]
    decision = decide(messages, {"routes": MATH})
    assert (decision.route, decision.source) == ("math", "history")
    messages[-1]["content"] = "thanks! unrelated, but what's a good name for a cat?"
    assert decide(messages, {"routes": MATH}).route == "chat"


def test_bad_lines_are_skipped_named_and_logged_never_raised(caplog):
    text = MATH + "\nnonsense line\ncode -> x: y\nbroken -> m: /[unclosed/\nempty -> m: "
    parse_routes.cache_clear()
    with caplog.at_level(logging.WARNING, logger="owui_router_filter"):
        decision = decide(user("prove this theorem please"), {"routes": text})
    assert decision.route == "math"
    assert len(decision.notes) == 5 and all(n.startswith("routes line ") for n in decision.notes)
    assert "routes line 2" in decision.notes[0] and "built in" in decision.notes[1] and "regex" in decision.notes[2]
    assert "notes:" in str(decision)
    logged = [r.getMessage() for r in caplog.records]
    assert sum("routes line 2" in m for m in logged) == 1
    decide(user("prove this theorem please"), {"routes": text})
    assert sum("routes line 2" in r.getMessage() for r in caplog.records) == 1  # once per valve text, not per request


def test_long_conversations_go_to_the_long_context_model_whatever_the_topic():
    long_text = "Resuma este relatório. " + "palavra " * 6000  # ~ 12,000 tokens
    valves = {"long_context_model": "gpt-long", "long_context_tokens": 8000}
    decision = decide(user(long_text), valves)
    assert (decision.model, decision.source) == ("gpt-long", "long context")
    assert "tokens" in decision.status_text()
    assert decide(user("def f(x):\n    return x\n" * 1500), valves).model == "gpt-long"
    assert decide(user("short question"), valves).model == "gpt-chat"
    assert decide(user(long_text), {}).model != "gpt-long"  # off by default
    image = [{"role": "user", "content": [{"type": "text", "text": long_text},
                                          {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]}]
    assert decide(image, valves).route == "vision"  # images come first
