"""The learned scorer: a logistic regression over the features of features.py, trained by
`owui-router train` on thousands of labeled prompts; its weights are the generated data in weights.py.

The code score is OFFSET + the model's log-odds of code: the default threshold (3) means "more likely
code than not"; each point above it multiplies the odds of code by e (2.7). Each feature's part of the
score is kept, so a decision can name the words and signals that pushed it most.
"""

import base64
import math
import zlib
from array import array
from functools import lru_cache

from .features import HASH_SIZE, pair_id, token_ids
from .weights import HASHED_WEIGHTS, MODEL

OFFSET = 3.0


@lru_cache(maxsize=1)
def _hashed() -> array:
    """The hashed weights as signed bytes (each times MODEL['scale'] is a weight), decoded once."""
    table = array("b", zlib.decompress(base64.b85decode("".join(HASHED_WEIGHTS))))
    if len(table) != HASH_SIZE:
        raise ValueError(f"weights.py holds {len(table)} hashed weights, features.py hashes into {HASH_SIZE}")
    return table


@lru_cache(maxsize=65536)
def _token_weight(token: str) -> tuple:
    """(sum of the quantized weights, number of features, the token's own id) for one distinct token."""
    table = _hashed()
    ids = token_ids(token)
    return sum(table[i] for i in ids), len(ids), ids[0]


def log_odds(toks: list, dense: dict) -> tuple:
    """The model's log-odds of code for a message, and each part of it: {label: contribution}.

    Words carry their own features, their n-grams and half of each neighbouring pair they are in."""
    table = _hashed()
    per_token, own_id, total, count = {}, {}, 0, 0
    for token in dict.fromkeys(toks):
        weight, n, own_id[token] = _token_weight(token)
        per_token[token] = weight
        total += weight
        count += n
    for a, b in dict.fromkeys(zip(toks, toks[1:])):
        weight = table[pair_id(own_id[a], own_id[b])]
        total += weight
        count += 1
        if weight:
            per_token[a] += weight / 2
            per_token[b] += weight / 2
    scale = MODEL["scale"] / math.sqrt(count) if count else 0.0
    parts = {token: weight * scale for token, weight in per_token.items() if weight}
    z = MODEL["bias"] + total * scale
    dense_weights = MODEL["dense"]
    for name, value in dense.items():
        part = dense_weights.get(name, 0.0) * value
        z += part
        if part:
            parts[name] = parts.get(name, 0.0) + part
    return z, parts


def probability(score: float) -> float:
    """P(code) for a code score on this scale."""
    z = score - OFFSET
    return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0


__all__ = ["OFFSET", "log_odds", "probability"]
