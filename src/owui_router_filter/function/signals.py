"""Signals: what in a piece of text points to code or away from it, and the code score they make.

- words and phrases of the built-in lexicon (lexicon.py), matched on whole folded words, longest
  phrase first, each counted once;
- structure in the raw text: fenced blocks, lines of code, stack traces, shell commands, SQL,
  file names with code extensions, spreadsheet formulas, LaTeX, regular expressions;
- the learned scorer (learned.py), which weighs the words, their pieces and pairs, together with the
  two kinds above; its log-odds of code, plus 3, is the code score;
- the valves' extra keywords, whose weights add to that score as they are.
The router compares the code score with the threshold. The hand-set sum of the lexicon and structure
weights is kept as well (`lexicon`): the follow-up rules use it to tell a message that clearly reads
as chat.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

from .features import DENSE_FEATURES, dense_features, feature_tokens
from .learned import OFFSET, log_odds, probability
from .lexicon import AMBIGUOUS, CHAT_TERMS, CODE_TERMS, TOPIC_CHANGE_TERMS
from .text import fold

_TOKEN = re.compile(r"[a-z0-9_]+(?:\+\+|#)?")


@dataclass(frozen=True)
class Signal:
    label: str
    weight: float

    def __str__(self):
        return f"{self.label} ({self.weight:+g})"


@dataclass
class Scored:
    score: float  # the code score: OFFSET + the learned log-odds + the extra keywords
    signals: list  # what pushed the score most, strongest first
    tokens: int
    topic_change: bool = False
    lexicon: float = 0.0  # the hand-set lexicon + structure sum
    probability: float = 0.5  # P(code) from the score


class Vocabulary:
    """Phrases -> weight (positive: code, negative: not code), with a longest-match lookup on tokens."""

    def __init__(self, weights: dict, ambiguous: dict):
        self.weights = weights
        self.ambiguous = ambiguous
        self.lengths = {}
        for phrase in list(weights) + list(ambiguous):
            words = phrase.split()
            if words:
                self.lengths.setdefault(words[0], set()).add(len(words))
        self.lengths = {first: sorted(ns, reverse=True) for first, ns in self.lengths.items()}

    def matches(self, tokens):
        """Yield each phrase found, longest first at every position, without overlaps."""
        i, n = 0, len(tokens)
        lengths, weights, ambiguous = self.lengths, self.weights, self.ambiguous
        while i < n:
            sizes = lengths.get(tokens[i])
            step = 1
            if sizes:
                for size in sizes:
                    if i + size > n:
                        continue
                    phrase = tokens[i] if size == 1 else " ".join(tokens[i:i + size])
                    if phrase in weights or phrase in ambiguous:
                        yield phrase
                        step = size
                        break
            i += step


def parse_keywords(spec: str, default_weight: float) -> dict:
    """'terraform:3, helm' -> {'terraform': 3.0, 'helm': default}. Bad entries are skipped."""
    out = {}
    if not isinstance(spec, str):
        return out
    for item in spec.replace("\n", ",").split(","):
        word, _, weight = item.partition(":")
        phrase = " ".join(_TOKEN.findall(fold(word)))
        if not phrase:
            continue
        try:
            value = float(weight) if weight.strip() else default_weight
        except ValueError:
            value = default_weight
        out[phrase] = abs(value)
    return out


@dataclass(frozen=True)
class Vocabularies:
    builtin: Vocabulary | None  # the lexicon the scorer was trained with (None: use_builtin_keywords off)
    extra: Vocabulary  # the valves' extra keywords


@lru_cache(maxsize=1)
def builtin_vocabulary() -> Vocabulary:
    weights = dict(CODE_TERMS)
    weights.update({phrase: -w for phrase, w in CHAT_TERMS.items()})
    return Vocabulary(weights, AMBIGUOUS)


@lru_cache(maxsize=32)
def vocabulary(use_builtin: bool = True, extra_code: str = "", extra_chat: str = "") -> Vocabularies:
    weights = parse_keywords(extra_code, 2.0)
    weights.update({phrase: -w for phrase, w in parse_keywords(extra_chat, 2.0).items()})
    return Vocabularies(builtin_vocabulary() if use_builtin else None, Vocabulary(weights, {}))


_TOPIC_CHANGE = Vocabulary({phrase: 1 for phrase in TOPIC_CHANGE_TERMS}, {})

# ---- structure of the raw text ------------------------------------------------------------------

_CODE_LINE = re.compile(
    r"^\s*(?:def |class \w|import [\w.]+|from [\w.]+ import|return\b|elif\b|except\b|try:|finally:|raise \w"
    r"|async def|public |private |protected |static |void |let |const |var |function\b|fn \w|func \w"
    r"|package [\w.]+;?$|using [\w.]+;|namespace |#include|#define|template\s*<|struct \w|impl\b|pub fn"
    r"|println!|console\.\w+\(|print\(|printf\(|echo |System\.out|SELECT |INSERT |UPDATE \w+ SET|CREATE "
    r"|//|/\*|\*/|#!|@\w+\(?|<\?php|\w+\s*:=)"
    r"|(?:[;{}]|\):|\) \{|=>)\s*$"
    r"|^\s*(?:if|for|while|switch|else|foreach)\b.*[:{]\s*$"
    r"|^\s*[A-Za-z_][\w.\[\]\"']*\s*(?:=|\+=|-=|\*=)\s*[\w\"'\[\({-]"
    r"|^(?: {4}|\t)+\S.*[(){}\[\];=:]",
    re.M,
)
_STACK_TRACE = re.compile(
    r"Traceback \(most recent call last\)|^\s*File \"[^\"]+\", line \d+|^\s+at [\w.$<>]+\([\w.]+:\d+\)"
    r"|^\s+at .+ \(.+:\d+:\d+\)|Segmentation fault|core dumped|panicked at|^panic: |npm ERR!|error\[E\d{4}\]"
    r"|Exception in thread|^\s*\w+(?:\.\w+)+(?:Error|Exception)\b|undefined is not a function|Cannot read propert",
    re.M,
)
_ERROR_NAME = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b|\bE[A-Z]{3,}\b(?=:)|\berrno\b|\b(?i:fatal|error|hint):\s")
_SHELL = re.compile(
    r"^\s*(?:\$|#|PS [A-Z]:\\[^>]*>)\s+(?:sudo|apt|pip|npm|npx|git|docker|cd|ls|mkdir|rm|cp|mv|chmod|curl|wget|python3?|node|make|ssh|kubectl|brew|cargo|go)\b"
    r"|\b(?:sudo|apt-get|apt|pip3?|npm|npx|yarn|git|docker|kubectl|brew|systemctl|journalctl|chmod|chown|ssh|scp|rsync|tar|grep|curl|wget)"
    r" +(?:-{1,2}[\w-]+|install|run|add|commit|push|pull|clone|status|checkout|build|exec|logs|restart|start|apply|get|init)\b"
    r"|\b(?:awk|sed|find|xargs|sort|uniq|head|tail|ls|du|df|ps|kill|lsof|netstat|crontab|tar|zip|unzip|cat|wc|cut|tr)"
    r" +(?:-{1,2}[a-zA-Z][\w-]*|\.|/|\*)",
    re.M,
)
_SQL = re.compile(
    r"\bSELECT\b[\s\S]{1,300}?\bFROM\b|\bINSERT\s+INTO\b|\bCREATE\s+(?:TABLE|INDEX|VIEW)\b|\bUPDATE\s+\w+\s+SET\b"
    r"|\bDELETE\s+FROM\b|\b(?:INNER|LEFT|RIGHT|OUTER)\s+JOIN\b|\bGROUP\s+BY\b|\bALTER\s+TABLE\b"
    r"|\bselect\s+(?:\*|\w+\.\w+|count\(|distinct\b)",
)
_FILE_NAME = re.compile(
    r"\b[\w-]+\.(py|ipynb|js|mjs|ts|tsx|jsx|java|kt|go|rs|cpp|cc|cxx|hpp|h|c|cs|rb|php|swift|scala|sh|bash|ps1|bat"
    r"|sql|ya?ml|toml|ini|env|json|xml|html?|css|scss|vue|svelte|lua|pl|dart|r|jl|tf|gradle|lock|cfg|conf|log)\b"
)
_NOT_FILE = frozenset(("e.g", "i.e", "a.c", "d.c", "p.s"))
_FORMULA = re.compile(
    r"=\s*[A-Z][A-Z0-9.]{1,15}\(|\b[A-Z]{1,3}\$?\d{1,6}:\$?[A-Z]{1,3}\$?\d{1,6}\b"
)
_LATEX = re.compile(
    r"\\(?:begin|end|frac|sum|int|sqrt|documentclass|usepackage|section|mathbb|mathrm|alpha|beta|left|right|label"
    r"|cite|textbf|item|includegraphics|newcommand)\b|\$\$[^$]{1,200}\$\$"
)
_REGEX = re.compile(r"\\[dwsbDWS][+*?{]|\[\^?[a-zA-Z0-9]-[a-zA-Z0-9][^\]]*\][+*?{]|\(\?[:=!<]|\^\\|\\\.\w")
_HTML = re.compile(r"</?(?:div|span|html|body|head|script|style|table|tr|td|ul|li|button|input|form|a|p|img|h[1-6])\b[^<>]{0,200}>")
_CALL = re.compile(r"\b[A-Za-z_][\w.]*\([^()\n]{0,80}\)")
_IDENT = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]+[A-Z][a-z0-9]+[A-Za-z0-9]*\b")
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_INLINE_CODE = re.compile(r"`[^`\n]{2,300}`")
_SUBSCRIPT = re.compile(r"\b[A-Za-z_]\w*\[(?:[^\]\n]{0,40}:[^\]\n]{0,40}|\d+|['\"][\w-]+['\"])\]")
_HTTP_VERB = re.compile(r"\b(?:GET|POST|PUT|PATCH|DELETE|OPTIONS)\b")
_PORT = re.compile(r"\b(?:port|porta|puerto|localhost|127\.0\.0\.1|0\.0\.0\.0):?\s?\d{2,5}\b", re.I)


# Literals every match of a pattern contains: a fast look for them skips most patterns on plain prose.
_SQL_WORDS = ("SELECT", "INSERT", "CREATE", "UPDATE", "DELETE", "JOIN", "GROUP", "ALTER", "select")
_HTTP_VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_PORT_WORDS = re.compile(r"port|puerto|localhost|127\.0\.0\.1|0\.0\.0\.0")


def structure_signals(raw: str) -> list:
    """Signals from the shape of the raw text; each kind counted once, some scaled by how often they appear."""
    found = []
    if "```" in raw:
        found.append(Signal("code block", 4.0))
    if _STACK_TRACE.search(raw):
        found.append(Signal("stack trace", 5.0))
    elif _ERROR_NAME.search(raw):
        found.append(Signal("error message", 3.0))
    code_lines = _count(_CODE_LINE, raw, 4)
    if code_lines:
        found.append(Signal(f"code syntax ({code_lines}{'+' if code_lines >= 4 else ''} lines)", min(5.0, 1.5 * code_lines)))
    if _SHELL.search(raw):
        found.append(Signal("shell command", 3.0))
    if any(word in raw for word in _SQL_WORDS) and _SQL.search(raw):
        found.append(Signal("SQL", 4.0))
    for match in _FILE_NAME.finditer(raw):
        if match.group(0).lower() not in _NOT_FILE:
            found.append(Signal(f"file .{match.group(1).lower()}", 3.0))
            break
    if (":" in raw or ("=" in raw and "(" in raw)) and _FORMULA.search(raw):
        found.append(Signal("spreadsheet formula", 4.0))
    if ("\\" in raw or "$$" in raw) and _LATEX.search(raw):
        found.append(Signal("LaTeX", 3.0))
    if ("\\" in raw or "[" in raw or "(?" in raw) and _REGEX.search(raw):
        found.append(Signal("regex syntax", 3.0))
    if "<" in raw and _count(_HTML, raw, 2) >= 2:
        found.append(Signal("HTML tags", 2.0))
    calls = _count(_CALL, raw, 3) if "(" in raw else 0
    if calls:
        found.append(Signal("call syntax", 1.0 if calls < 3 else 2.0))
    if _count(_IDENT, raw, 2) >= 2:
        found.append(Signal("code identifiers", 1.5))
    elif "_" in raw and _SNAKE.search(raw):
        found.append(Signal("code identifier", 1.0))
    if "```" not in raw and "`" in raw and _INLINE_CODE.search(raw):
        found.append(Signal("inline code", 2.0))
    if sum(verb in raw for verb in _HTTP_VERBS) >= 2 and len({m.group(0) for m in islice(_HTTP_VERB.finditer(raw), 40)}) >= 2:
        found.append(Signal("HTTP methods", 3.0))
    if "[" in raw and _SUBSCRIPT.search(raw):
        found.append(Signal("index or slice syntax", 2.0))
    if _PORT_WORDS.search(raw.casefold()) and _PORT.search(raw):
        found.append(Signal("port number", 2.0))
    return found


def _count(pattern, raw: str, cap: int) -> int:
    """How many matches of `pattern` there are in `raw`, counting no further than `cap`."""
    return sum(1 for _ in islice(pattern.finditer(raw), cap))


def _negated(words, tokens_set, joined):
    for word in words:
        if (" " in word and f" {word} " in joined) or word in tokens_set:
            return word
    return None


def keyword_signals(tokens: list, vocab: Vocabulary) -> list:
    found, seen = [], set()
    tokens_set = None
    joined = None
    for phrase in vocab.matches(tokens):
        if phrase in seen:
            continue
        seen.add(phrase)
        weight = vocab.weights.get(phrase)
        if weight is None:  # an ambiguous word: code unless its other meaning is around
            weight, label, others = vocab.ambiguous[phrase]
            if tokens_set is None:
                tokens_set = set(tokens)
                joined = " " + " ".join(tokens) + " "
            other = _negated(others, tokens_set, joined)
            if other:
                found.append(Signal(f"{label} (as in {other})", 0.0))
                continue
            found.append(Signal(label, float(weight)))
        elif weight:
            found.append(Signal(phrase, float(weight)))
    return found


def tokenize(text: str) -> list:
    return _TOKEN.findall(fold(text))


def score_text(raw: str, vocab: Vocabularies, in_conversation: bool = False) -> Scored:
    """Score one message's text (`raw` already clipped to the scan limit). In a conversation, also
    tell whether the text announces a new subject.

    Two rules sit on top of the learned weights: a word the lexicon knows in its other meaning here
    (Python the snake, Java the island) adds nothing, and with the built-in keywords off only the
    structure and the extra keywords count."""
    words = tokenize(raw)
    builtin = vocab.builtin is not None
    lexicon = keyword_signals(words, vocab.builtin) if builtin else []
    extra = keyword_signals(words, vocab.extra) if vocab.extra.weights else []
    structure = structure_signals(raw)
    z, parts = log_odds(feature_tokens(raw) if builtin else [], dense_features(structure, lexicon))
    for signal in lexicon:
        if signal.weight == 0 and " (as in " in signal.label:  # the other meaning: its words say nothing
            for token in feature_tokens(signal.label.split(" (as in ")[0]):
                z -= parts.pop(token, 0.0)
    score = OFFSET + z + sum(s.weight for s in extra)
    strongest = sorted(parts.items(), key=lambda item: -abs(item[1]))[:MAX_SIGNALS]
    signals = [Signal(_label(name, lexicon), round(weight, 2)) for name, weight in strongest]
    signals.extend(Signal(f"{s.label} (extra keyword)", s.weight) for s in extra)
    signals.sort(key=lambda s: -abs(s.weight))
    signals.extend(s for s in lexicon if s.weight == 0)
    topic_change = in_conversation and next(_TOPIC_CHANGE.matches(words), None) is not None
    return Scored(
        score=score, signals=[s for s in signals if s.weight or " (as in " in s.label][:MAX_SIGNALS],
        tokens=len(words), topic_change=topic_change,
        lexicon=sum(s.weight for s in lexicon + extra + structure), probability=probability(score),
    )


MAX_SIGNALS = 12


def _label(name: str, lexicon: list) -> str:
    """A feature's name in words: the lexicon features name the words they counted."""
    if name == "lexicon code words":
        return _lexicon_label(lexicon, 1)
    if name == "lexicon chat words":
        return _lexicon_label(lexicon, -1)
    if name == "lexicon ambiguous words":
        return "ambiguous: " + ", ".join(s.label for s in lexicon if s.weight == 0)
    if name in DENSE_FEATURES or name[:1].isalnum():
        return name
    return f"'{name}'"


def _lexicon_label(lexicon: list, sign: int) -> str:
    words = [s.label for s in sorted(lexicon, key=lambda s: -abs(s.weight)) if s.weight * sign > 0]
    return "lexicon: " + ", ".join(words[:3]) + (", ..." if len(words) > 3 else "")
