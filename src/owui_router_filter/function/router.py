"""The decision: messages and valves in, a Decision out. Routes are data; a decision is a value.

Order of precedence, each step explaining itself in the Decision it returns:
1. routing off (valve, user valve) or a model the router does not act on -> pass through;
2. an override prefix (#code, #chat, #vision, or #name of an admin route) in the last user message;
3. images in the last user message -> the vision model (when one is set);
4. a conversation longer than long_context_tokens -> long_context_model (when one is set);
5. the admin routes of the `routes` valve (routes.py): the best one above its own threshold;
6. the code score of the last user message (the learned scorer's, see signals.py) against the threshold;
7. a follow-up in a coding (image, admin-route) conversation stays where the conversation was, unless
   it announces a new subject or (for code) clearly reads as something else;
8. everything else -> the chat model.
"""

import math
import re
from dataclasses import asdict, dataclass, field

from pydantic import ValidationError

from .routes import AdminRoute, best_route, estimated_tokens, parse_routes
from .signals import Signal, score_text, vocabulary
from .text import clip, split_conversation
from .valves import RouterUserValves, RouterValves


@dataclass(frozen=True)
class Route:
    name: str
    valve: str
    description: str


ROUTES = (
    Route("code", "code_model", "writing, reading, debugging or running code, queries, formulas, markup"),
    Route("chat", "chat_model", "everything else: questions, writing, summaries, translation"),
    Route("vision", "vision_model", "messages with images"),
)
ROUTE_NAMES = tuple(route.name for route in ROUTES)
CHAT_BREAK = -2.0
MIN_REASON = 0.5  # a signal weaker than this is not named in the status line
HISTORY_REPLY_CODE = 4.0
_REPLY_CODE = re.compile(r"```|`[^`\n]{1,200}`")  # a code block, or inline code, in an assistant reply


@dataclass
class Decision:
    route: str | None
    model: str | None
    score: float = 0.0
    threshold: float = 0.0
    signals: list = field(default_factory=list)
    reason: str = ""
    source: str = "passthrough"
    confidence: float = 0.0
    override: str | None = None
    probability: float | None = None  # P(code) of the scored message, when it was scored
    notes: list = field(default_factory=list)  # what the router skipped (bad `routes` lines)

    @property
    def routed(self) -> bool:
        return self.model is not None

    def top_reasons(self, count: int = 3) -> list:
        if self.source in ("override", "image", "history", "long context") or not self.signals:
            return [self.reason]
        wanted = (lambda w: w < 0) if self.route == "chat" else (lambda w: w > 0)
        labels, later = [], []
        for label, weight in self.signals:
            if wanted(weight) and abs(weight) >= MIN_REASON:
                # "lexicon: python, funcao" gives its strongest word now, the others after the other signals
                first, *rest = label.removeprefix("lexicon: ").split(", ")
                labels.append(first)
                later.extend(word for word in rest if word != "...")
        reasons = list(dict.fromkeys(labels + later))
        return reasons[:count] or [self.reason]

    def status_text(self) -> str:
        if not self.routed:
            return f"router: {self.reason}"
        return f"{self.model}: {', '.join(self.top_reasons())}"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["signals"] = [[label, weight] for label, weight in self.signals]
        data["status"] = self.status_text()
        return data

    def __str__(self):
        lines = [
            f"route:      {self.route or '-'}",
            f"model:      {self.model or '- (request passes through unchanged)'}",
            f"source:     {self.source}",
            f"score:      {self.score:g} (threshold {self.threshold:g})",
            f"p(code):    {'-' if self.probability is None else format(self.probability, '.2f')}",
            f"confidence: {self.confidence:.2f}",
            f"reason:     {self.reason}",
        ]
        if self.signals:
            lines.append("signals:")
            lines.extend(f"  {weight:+6.1f}  {label}" for label, weight in self.signals)
        if self.notes:
            lines.append("notes:")
            lines.extend(f"  {note}" for note in self.notes)
        return "\n".join(lines)


def coerce_valves(valves, model=RouterValves):
    """A valves instance, a stored dict or None -> a valid instance; invalid fields fall back to defaults."""
    if isinstance(valves, model):
        return valves
    if hasattr(valves, "model_dump"):
        valves = valves.model_dump()
    if not isinstance(valves, dict):
        return model()
    known = {k: v for k, v in valves.items() if k in model.model_fields}
    try:
        return model(**known)
    except ValidationError as error:
        bad = {str(e["loc"][0]) for e in error.errors() if e.get("loc")}
        return model(**{k: v for k, v in known.items() if k not in bad})


def model_ids(spec: str) -> set:
    return {item.strip() for item in (spec or "").split(",") if item.strip()}


def parse_override(text: str, prefix: str, names=ROUTE_NAMES):
    """'#code write X' -> ('code', '#code'); no override -> (None, None). `names`: the routes it may name."""
    if not prefix or not isinstance(text, str):
        return None, None
    head = text.lstrip()[: len(prefix) + 41]
    if not head.startswith(prefix):
        return None, None
    rest = head[len(prefix):]
    for name in sorted(names, key=len, reverse=True):
        if rest.lower().startswith(name) and (len(rest) == len(name) or not rest[len(name)].isalnum()):
            return name, prefix + rest[: len(name)]
    return None, None


def _confidence(score: float, threshold: float) -> float:
    """How sure the side of the threshold is: the odds shift of the distance to it (the score is log-odds)."""
    return round(1.0 / (1.0 + math.exp(-min(abs(score - threshold), 50.0))), 2)


def _passthrough(reason: str, valves) -> Decision:
    return Decision(route=None, model=None, threshold=valves.threshold, reason=reason, source="passthrough")


def _routed(route: str, valves, **fields) -> Decision:
    model = getattr(valves, next(r.valve for r in ROUTES if r.name == route)) or None
    return Decision(route=route, model=model, threshold=valves.threshold, **fields)


def _admin(route, valves, notes, **fields) -> Decision:
    """A decision for an admin route (its model, its threshold)."""
    return Decision(route=route.name, model=route.model, threshold=route.threshold, notes=notes, **fields)


def _context(history, valves, vocab, admin=()):
    """What the conversation was about before the ask: "vision", "code", an admin route, or None (chat, or nothing).

    Looks back (newest first) through follow-ups to the user turn that set the subject: a turn with
    images, a turn that scores as code (an assistant reply with code in it adds to the turn it
    answered), or a turn that reads as chat or announces a new subject, which ends the search.
    """
    reply_has_code = False
    for turn in history:  # newest first: an assistant reply comes before the user turn it answered
        if turn.role == "assistant":
            reply_has_code = reply_has_code or _REPLY_CODE.search(turn.text) is not None
            continue
        if turn.images:
            return "vision", 0.0
        route, route_score, _ = best_route(clip(turn.text, valves.max_scan_chars), admin)
        if route is not None:
            return route, route_score
        scored = score_text(clip(turn.text, valves.max_scan_chars), vocab, in_conversation=True)
        score = scored.score + (HISTORY_REPLY_CODE if reply_has_code else 0.0)
        if score >= valves.threshold:
            return "code", score
        if scored.lexicon <= CHAT_BREAK or scored.topic_change:
            return None, score
        reply_has_code = False
    return None, 0.0


def decide(messages, valves=None, user_valves=None, model_id=None) -> Decision:
    """Decide where a conversation goes. Never raises for bad messages: they pass through."""
    valves = coerce_valves(valves)
    if not valves.enabled:
        return _passthrough("routing is turned off (valve enabled=false)", valves)
    if user_valves is not None and not coerce_valves(user_valves, RouterUserValves).enabled:
        return _passthrough("routing is turned off for this user", valves)
    allowed = model_ids(valves.route_from_models)
    if model_id is not None and "*" not in allowed and model_id not in allowed:
        return _passthrough(f"model '{model_id}' is not in route_from_models", valves)

    conversation = split_conversation(messages, valves.history_depth)
    ask = conversation.ask
    if ask is None:
        return _passthrough("no user message to route", valves)

    parsed = parse_routes(valves.routes)
    admin = {route.name: route for route in parsed.routes}
    notes = list(parsed.problems)
    forced, token = parse_override(ask.text, valves.override_prefix, ROUTE_NAMES + tuple(admin))
    if forced in admin:
        return _admin(admin[forced], valves, notes, reason=token, source="override", confidence=1.0, override=token)
    if forced:
        decision = _routed(forced, valves, reason=token, source="override", confidence=1.0, override=token, notes=notes)
        if decision.model is None:
            return _passthrough(f"{token} asked, but the {forced} model valve is empty", valves)
        return decision

    if ask.images and valves.vision_model:
        plural = "s" if ask.images > 1 else ""
        return _routed("vision", valves, reason=f"{ask.images} image{plural}", source="image", confidence=1.0, notes=notes)

    if valves.long_context_model:
        tokens = estimated_tokens(messages)
        if tokens > valves.long_context_tokens:
            return Decision(route="long context", model=valves.long_context_model, threshold=valves.threshold,
                            reason=f"long conversation: ~{tokens} tokens > {valves.long_context_tokens}",
                            source="long context", confidence=1.0, notes=notes)

    route, route_score, route_signals = best_route(clip(ask.text, valves.max_scan_chars), parsed.routes)
    if route is not None:
        return _admin(route, valves, notes, score=route_score, signals=[(s.label, s.weight) for s in route_signals],
                      reason=f"route {route.name} score {route_score:g} >= {route.threshold:g}", source="route",
                      confidence=_confidence(route_score, route.threshold))

    vocab = vocabulary(valves.use_builtin_keywords, valves.extra_code_keywords, valves.extra_chat_keywords)
    scored = score_text(clip(ask.text, valves.max_scan_chars), vocab, in_conversation=bool(conversation.history))
    signals = [(s.label, s.weight) for s in scored.signals]
    score = round(scored.score, 2)
    common = dict(score=score, signals=signals, confidence=_confidence(scored.score, valves.threshold),
                  probability=round(scored.probability, 3), notes=notes)

    if scored.score >= valves.threshold:
        return _routed("code", valves, reason=f"code score {score:g} >= {valves.threshold:g}", source="score", **common)

    if conversation.history and not scored.topic_change:
        context, context_score = _context(conversation.history, valves, vocab, parsed.routes)
        # how sure a follow-up decision is comes from the turn that set the subject, not from the follow-up
        if context == "vision" and valves.vision_model:
            common["confidence"] = 1.0
            return _routed("vision", valves, reason="follow-up about an image", source="history", **common)
        if isinstance(context, AdminRoute):
            return _admin(context, valves, notes, score=score, signals=[(f"follow-up of a {context.name} conversation", context_score)] + signals,
                          reason=f"follow-up in a {context.name} conversation", source="history",
                          confidence=_confidence(context_score, context.threshold), probability=common["probability"])
        if context == "code" and scored.lexicon > CHAT_BREAK:
            common["signals"] = [("follow-up of a coding conversation", context_score)] + signals
            common["confidence"] = _confidence(context_score, valves.threshold)
            return _routed("code", valves, reason="follow-up in a coding conversation", source="history", **common)

    if not signals:
        return _routed("chat", valves, reason="no code signals", source="default", **common)
    return _routed("chat", valves, reason=f"code score {score:g} < {valves.threshold:g}", source="score", **common)


__all__ = ["Decision", "Route", "ROUTES", "Signal", "decide", "coerce_valves"]
