"""The Open WebUI adapter: the `Filter` class whose `inlet` sets body["model"] from a Decision.

It never raises and never returns None: on any error the body goes on unchanged and the reason is
logged (without prompt text unless the debug valve is on).
"""

import logging

from .router import Decision, coerce_valves, decide
from .text import split_conversation
from .valves import RouterUserValves, RouterValves

log = logging.getLogger("owui_router_filter")


class Filter:
    class Valves(RouterValves):
        """Router settings (Admin Panel > Functions > the gear icon)."""

    class UserValves(RouterUserValves):
        """Each user's own switch (chat controls > Valves)."""

    def __init__(self):
        self.valves = self.Valves()

    async def inlet(self, body, __event_emitter__=None, __user__=None, __model__=None, __metadata__=None):
        try:
            decision = route_request(body, self.valves, __user__, __model__)
        except Exception as error:  # a router must never break a chat
            log.exception("router: passing the request through after an error: %s", type(error).__name__)
            return body
        await announce(decision, self.valves, __user__, __event_emitter__)
        return body


def _user_valves(user):
    if isinstance(user, dict):
        return user.get("valves")
    return None


def route_request(body, valves, user=None, model=None):
    """Decide for one chat request and apply the decision to `body` in place."""
    if not isinstance(body, dict):
        log.warning("router: body is %s, not a dict; passing it through", type(body).__name__)
        return Decision(route=None, model=None, reason="the request body is not a JSON object")
    model_id = body.get("model")
    if not isinstance(model_id, str) and isinstance(model, dict):
        model_id = model.get("id")
    messages = body.get("messages")
    decision = decide(messages, valves, _user_valves(user), model_id if isinstance(model_id, str) else None)
    if decision.override:
        _strip_override(messages, decision.override)
    if decision.model:
        body["model"] = decision.model
    log.info(
        "router: route=%s model=%s source=%s score=%s signals=%s",
        decision.route, decision.model, decision.source, decision.score,
        [label for label, _ in decision.signals[:5]],
    )
    if getattr(valves, "debug", False):
        ask = split_conversation(messages, 0).ask
        log.info("router debug: from=%s ask=%r decision=%s", model_id, (ask.text[:300] if ask else None), decision.to_dict())
    return decision


def _strip_override(messages, token: str) -> None:
    """Remove '#code' (the override token) from the start of the last user message."""
    index = split_conversation(messages, 0).ask_index
    message = messages[index]
    content = message.get("content")
    if isinstance(content, str):
        message["content"] = _without_token(content, token)
        return
    for part in content if isinstance(content, list) else ():
        if isinstance(part, dict) and isinstance(part.get("text"), str) and part["text"].strip():
            part["text"] = _without_token(part["text"], token)
            return


def _without_token(text: str, token: str) -> str:
    stripped = text.lstrip()
    if stripped[: len(token)].lower() == token.lower():
        return stripped[len(token):].lstrip(" \t:,-")
    return text


async def announce(decision, valves, user, emitter):
    """Say in the chat which model was chosen and why (a status line)."""
    if emitter is None or not decision.routed or not getattr(valves, "show_status", True):
        return
    user_valves = _user_valves(user)
    if user_valves is not None and not coerce_valves(user_valves, RouterUserValves).show_status:
        return
    try:
        await emitter({"type": "status", "data": {"description": decision.status_text(), "done": True}})
    except Exception as error:
        log.warning("router: could not emit the status line: %s", type(error).__name__)
