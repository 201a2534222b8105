"""Multi-turn, multimodal content, overrides, model lists, user valves and valves as Open WebUI stores them."""

from owui_router_filter import decide
from owui_router_filter.function.router import coerce_valves
from owui_router_filter.function.valves import RouterValves

PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

CODING = [
    {"role": "user", "content": "Write a Python function that parses a CSV file into a list of dicts"},
    {"role": "assistant", "content": "```python\nimport csv\n\ndef parse(path):\n    with open(path) as f:\n        return list(csv.DictReader(f))\n```"},
]
CHATTING = [
    {"role": "user", "content": "Tell me about the history of Lisbon"},
    {"role": "assistant", "content": "Lisbon is one of the oldest cities in western Europe..."},
]


def follow(history, text):
    return history + [{"role": "user", "content": text}]


def test_followups_in_a_coding_conversation_stay_on_the_coder():
    for text in ("now make it faster", "e agora em JavaScript?", "deixa mais rápido", "y ahora con pruebas", "why?", "add type hints too"):
        decision = decide(follow(CODING, text))
        assert decision.route == "code", (text, str(decision))
        assert decision.source in ("history", "score")


def test_longer_followups_without_code_words_stay_on_the_coder():
    for text in ("and what if some rows have an empty name?", "al revés, de mayor a menor", "pede confirmação antes de apagar"):
        decision = decide(follow(CODING, text))
        assert (decision.route, decision.source) == ("code", "history"), (text, str(decision))


def test_a_new_unrelated_question_switches_back_to_chat():
    for text in ("What is the capital of France?", "Qual a receita de pão de queijo?", "Resuma a história de Portugal",
                 "thanks! unrelated, but who won the 2002 world cup?", "valeu! mudando de assunto, onde passar as férias?",
                 "gracias. otra pregunta: ¿cuánto dura un pasaporte?"):
        assert decide(follow(CODING, text)).route == "chat", text


def test_the_subject_is_found_back_through_several_followups():
    messages = CODING + [
        {"role": "user", "content": "and what if some rows have an empty name?"},
        {"role": "assistant", "content": "Then skip them."},
        {"role": "user", "content": "ok, and sort them too"},
    ]
    assert decide(messages).route == "code"
    changed = CODING + [
        {"role": "user", "content": "thanks! unrelated: tell me about Lisbon"},
        {"role": "assistant", "content": "Lisbon is..."},
        {"role": "user", "content": "and what about its food?"},
    ]
    assert decide(changed).route == "chat"


def test_followups_in_a_chat_conversation_stay_on_chat():
    for text in ("tell me more", "and its food?", "e a população?"):
        assert decide(follow(CHATTING, text)).route == "chat", text


def test_history_depth_zero_judges_the_last_message_alone():
    assert decide(follow(CODING, "now make it faster"), {"history_depth": 0}).route == "chat"


def test_system_prompts_and_tool_output_are_not_the_ask():
    messages = [
        {"role": "system", "content": "You are a Python expert. ```python\ndef x(): pass\n```"},
        {"role": "user", "content": "What is the tallest mountain in Africa?"},
        {"role": "tool", "content": "Traceback (most recent call last): ..."},
    ]
    assert decide(messages).route == "chat"


def test_rag_context_in_the_user_message_is_ignored():
    text = (
        "### Task: answer using the context\n<context><source id=\"1\">def main():\n    import os\n    return 1\n</source></context>\n"
        "<user_query>Who wrote Don Quixote?</user_query>"
    )
    assert decide([{"role": "user", "content": text}]).route == "chat"


def test_list_content_with_text_parts():
    messages = [{"role": "user", "content": [{"type": "text", "text": "Crie uma função em Python"}, {"type": "text", "text": "que some dois números"}]}]
    assert decide(messages).route == "code"


def test_images_go_to_vision():
    messages = [{"role": "user", "content": [{"type": "text", "text": "o que tem nesta imagem?"}, {"type": "image_url", "image_url": {"url": PNG}}]}]
    decision = decide(messages)
    assert (decision.route, decision.model, decision.source) == ("vision", "gpt-vision", "image")


def test_code_screenshot_still_goes_to_vision_because_the_coder_cannot_see():
    messages = [{"role": "user", "content": [{"type": "text", "text": "fix the Python bug in this screenshot"}, {"type": "image_url", "image_url": {"url": PNG}}]}]
    assert decide(messages).route == "vision"


def test_empty_vision_model_means_no_image_routing():
    messages = [{"role": "user", "content": [{"type": "text", "text": "write a python function like this diagram"}, {"type": "image_url", "image_url": {"url": PNG}}]}]
    assert decide(messages, {"vision_model": ""}).route == "code"


def test_a_followup_about_an_earlier_image_stays_on_vision():
    for text in ("and what colour is it exactly?", "me passa a receita dele", "how much exercise does it need every day?"):
        messages = [
            {"role": "user", "content": [{"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": {"url": PNG}}]},
            {"role": "assistant", "content": "A red square."},
            {"role": "user", "content": text},
        ]
        assert decide(messages).route == "vision", text
        messages[-1]["content"] = "thanks. another question: " + text
        assert decide(messages).route == "chat", text


def test_images_only_in_older_turns_do_not_capture_a_new_code_question():
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": {"url": PNG}}]},
        {"role": "assistant", "content": "A cat."},
        {"role": "user", "content": "Write a Python function that resizes a JPEG with Pillow"},
    ]
    assert decide(messages).route == "code"


def test_overrides_force_a_route():
    assert decide([{"role": "user", "content": "#chat write a python function"}]).route == "chat"
    decision = decide([{"role": "user", "content": "  #CODE: what's the capital of France?"}])
    assert (decision.route, decision.source, decision.override) == ("code", "override", "#CODE")
    assert decide([{"role": "user", "content": "#vision describe"}]).route == "vision"


def test_override_prefix_is_configurable_and_can_be_off():
    assert decide([{"role": "user", "content": "!chat write a python function"}], {"override_prefix": "!"}).route == "chat"
    assert decide([{"role": "user", "content": "#chat write a python function"}], {"override_prefix": ""}).route == "code"
    # a hashtag that is not a route name is just text
    assert decide([{"role": "user", "content": "#coding is fun, write a python function"}]).override is None


def test_override_to_an_empty_model_passes_through():
    decision = decide([{"role": "user", "content": "#vision what is this"}], {"vision_model": ""})
    assert decision.route is None and decision.model is None


def test_route_from_models_respects_an_explicit_choice():
    code = [{"role": "user", "content": "Write a Python function"}]
    assert decide(code, model_id="auto").model == "gpt-code"
    assert decide(code, model_id="gpt-chat").model is None
    assert decide(code, {"route_from_models": "auto, smart"}, model_id="smart").model == "gpt-code"
    assert decide(code, {"route_from_models": "*"}, model_id="gpt-chat").model == "gpt-code"


def test_user_and_admin_switches():
    code = [{"role": "user", "content": "Write a Python function"}]
    assert decide(code, {"enabled": False}).model is None
    assert decide(code, user_valves={"enabled": False}).model is None
    assert decide(code, user_valves={"enabled": True}).model == "gpt-code"


def test_models_come_from_the_valves():
    valves = {"code_model": "my-coder", "chat_model": "my-chat", "vision_model": "my-eyes"}
    assert decide([{"role": "user", "content": "Write a Python function"}], valves).model == "my-coder"
    assert decide([{"role": "user", "content": "Hello!"}], valves).model == "my-chat"


def test_valves_the_way_open_webui_stores_them():
    stored = {"threshold": "5", "history_depth": 2, "show_status": False, "unknown_old_valve": 1}
    valves = RouterValves(**{k: v for k, v in stored.items() if k != "unknown_old_valve"})
    assert valves.threshold == 5.0
    assert coerce_valves(stored).threshold == 5.0
    # an invalid stored value falls back to the default instead of failing the chat
    assert coerce_valves({"threshold": "high", "code_model": "c"}).threshold == RouterValves().threshold
    assert coerce_valves({"threshold": "high", "code_model": "c"}).code_model == "c"


def test_an_answer_with_inline_code_makes_the_conversation_about_code():
    messages = [
        {"role": "user", "content": "how do I keep only the positive numbers?"},
        {"role": "assistant", "content": "Use `[x for x in xs if x > 0]`."},
        {"role": "user", "content": "and the even ones?"},
    ]
    assert decide(messages).route == "code"
    messages[1]["content"] = "Keep the ones greater than zero."
    assert decide(messages).route == "chat"
