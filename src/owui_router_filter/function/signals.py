"""Signals: what in a piece of text points to code or away from it, and the code score they make.

- words and phrases of the built-in lexicon (lexicon.py), matched on whole folded words, longest
  phrase first, each counted once;
- structure in the raw text (structure.py): fenced blocks, lines of code, stack traces, shell commands, SQL,
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

from .features import DENSE_FEATURES, dense_features, feature_tokens
from .learned import OFFSET, log_odds, probability
from .lexicon import AMBIGUOUS, CHAT_TERMS, CODE_TERMS, TOPIC_CHANGE_TERMS
from .structure import Signal, structure_signals
from .text import fold

_TOKEN = re.compile(r"[a-z0-9_]+(?:\+\+|#)?")


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
        lengths, weights, ambiguous = self.lengths, self.weights, self.ambiguous
        n, after = len(tokens), 0
        for i in [i for i, token in enumerate(tokens) if token in lengths]:  # where a phrase can start
            if i < after:
                continue
            for size in lengths[tokens[i]]:
                if i + size > n:
                    continue
                phrase = tokens[i] if size == 1 else " ".join(tokens[i:i + size])
                if phrase in weights or phrase in ambiguous:
                    yield phrase
                    after = i + size
                    break


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
