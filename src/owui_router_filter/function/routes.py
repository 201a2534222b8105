"""Routes the admin defines in the `routes` valve, one a line, as data:

    name -> model: keyword, a phrase, word:weight, /regex/, /regex/:weight
    math -> gpt-reasoning@4: prove, theorem, integral, derivada, equação, /\\d+\\s*[x×*]\\s*\\d+/

Keywords and phrases match whole folded words (case and accents ignored), each counted once, weight 2
unless given; a /regex/ is searched in the raw text, weight 2 unless given. `@N` after the model is the
route's threshold (default 3). A route fires when its score reaches its threshold; the best one wins.
A bad line is skipped and named, never an exception.
"""

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from .signals import Signal, Vocabulary, keyword_signals, parse_keywords, tokenize
from .text import content_text

DEFAULT_ROUTE_THRESHOLD = 3.0
DEFAULT_TERM_WEIGHT = 2.0
# "name -> model[@N]: terms"; the model ends at the first ":" followed by a space (so "llama3:8b" is a model
# id), or at the first ":" when none is.
_LINE = re.compile(r"^\s*([A-Za-z][\w-]{0,39})\s*->\s*(\S+?)\s*(?:@\s*(-?\d+(?:\.\d+)?))?\s*:(?:\s+|$)(.*)$")
_LINE_TIGHT = re.compile(r"^\s*([A-Za-z][\w-]{0,39})\s*->\s*([^\s:@]+)\s*(?:@\s*(-?\d+(?:\.\d+)?))?\s*:(.*)$")
_REGEX_TERM = re.compile(r"(?:^|,)\s*/((?:\\/|[^/])+)/(?::\s*(-?\d+(?:\.\d+)?))?\s*(?=,|$)")
_RESERVED = frozenset(("code", "chat", "vision"))


@dataclass(frozen=True)
class AdminRoute:
    name: str
    model: str
    threshold: float
    words: Vocabulary
    patterns: tuple  # ((compiled regex, source, weight), ...)

    def score(self, raw: str, words: list) -> tuple:
        """(score, signals) of one message's raw text and its folded words."""
        signals = keyword_signals(words, self.words)
        for pattern, source, weight in self.patterns:
            if pattern.search(raw):
                signals.append(Signal(f"/{source}/", weight))
        return sum(s.weight for s in signals), signals


@dataclass(frozen=True)
class ParsedRoutes:
    routes: tuple
    problems: tuple  # one line of text per skipped line or term


@lru_cache(maxsize=16)
def parse_routes(text: str) -> ParsedRoutes:
    """The `routes` valve -> routes and the problems found; parsed once per distinct valve text."""
    routes, problems, seen = [], [], set()
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line) or _LINE_TIGHT.match(line)
        if not match:
            problems.append(f"routes line {number}: expected 'name -> model: keyword, phrase:weight, /regex/'")
            continue
        name, model, threshold, terms = match.groups()
        name = name.lower()
        if name in _RESERVED or name in seen:
            problems.append(f"routes line {number}: the name {name!r} is {'built in' if name in _RESERVED else 'used twice'}")
            continue
        patterns = []
        for regex_match in _REGEX_TERM.finditer(terms):
            source, weight = regex_match.group(1).replace("\\/", "/"), regex_match.group(2)
            try:
                patterns.append((re.compile(source, re.I), source, float(weight) if weight else DEFAULT_TERM_WEIGHT))
            except re.error as error:
                problems.append(f"routes line {number}: /{source}/ is not a valid regex ({error})")
        words = parse_keywords(_REGEX_TERM.sub(",", terms), DEFAULT_TERM_WEIGHT)
        if not words and not patterns:
            problems.append(f"routes line {number}: route {name!r} has no keyword or regex")
            continue
        seen.add(name)
        routes.append(AdminRoute(name, model, float(threshold) if threshold else DEFAULT_ROUTE_THRESHOLD,
                                 Vocabulary(words, {}), tuple(patterns)))
    for problem in problems:  # once per distinct valve text: the parse is cached
        logging.getLogger("owui_router_filter").warning("router: %s (line skipped)", problem)
    return ParsedRoutes(tuple(routes), tuple(problems))


def best_route(raw: str, routes: tuple):
    """The admin route whose score reaches its threshold by the widest margin, with its score and
    signals; (None, 0.0, []) when none does."""
    if not routes:
        return None, 0.0, []
    words = tokenize(raw)
    best = (None, 0.0, [])
    margin = None
    for route in routes:
        score, signals = route.score(raw, words)
        if score >= route.threshold and (margin is None or score - route.threshold > margin):
            best, margin = (route, score, signals), score - route.threshold
    return best


def estimated_tokens(messages) -> int:
    """Tokens of the whole conversation, estimated as characters / 4 (text parts only)."""
    return sum(len(content_text(m.get("content"))) for m in messages if isinstance(m, dict)) // 4 if isinstance(messages, list) else 0
