"""Features of a message for the learned scorer, the same at training time and in the filter.

One pass over the text gives:
- tokens: lower-cased, accents stripped, digits folded to "0", words of any script, each CJK character
  alone, runs of punctuation ("();", "=>", "```");
- hashed features: each distinct token, the character 3- and 4-grams of each distinct word (so
  "função", "funções" and "function" share pieces, and unseen words still say something), and each
  distinct pair of neighbouring tokens; counted once each, scaled by 1/sqrt(how many);
- dense features: the structure signals (fenced blocks, code lines, stack traces, shell, SQL, file
  names, formulas, LaTeX, regex...) and the built-in lexicon's hits, by name.
"""

import math
import re
import unicodedata
from functools import lru_cache
from zlib import crc32

HASH_BITS = 18
HASH_SIZE = 1 << HASH_BITS
_MASK = HASH_SIZE - 1
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKENS = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+|_+|[^\w\s]{{1,6}}")
_MARKS = re.compile(r"[\u0300-\u036f]+")
_DIGITS = re.compile(r"\d")
_GRAM_SIZES = (3, 4)
_LONGEST_WORD = 24  # longer words (hashes, base64) give their first 24 characters' n-grams

# Dense features: the structure signals by kind (their labels without counts or file extensions)
# and the lexicon, each a number the model weighs.
STRUCTURE_KINDS = (
    "code block", "stack trace", "error message", "code syntax", "shell command", "SQL", "file name",
    "spreadsheet formula", "LaTeX", "regex syntax", "HTML tags", "call syntax", "code identifiers",
    "code identifier", "inline code", "HTTP methods", "index or slice syntax", "port number",
)
DENSE_FEATURES = STRUCTURE_KINDS + ("lexicon code words", "lexicon chat words", "lexicon ambiguous words")


def normalize(raw: str) -> str:
    """Lower case without accents; other scripts are kept (unlike the lexicon's ASCII fold)."""
    if raw.isascii():  # nothing to decompose, no marks
        return raw.lower()
    return _MARKS.sub("", unicodedata.normalize("NFKD", raw.lower()))


def feature_tokens(raw: str) -> list:
    return _TOKENS.findall(_DIGITS.sub("0", normalize(raw)))


def feature_id(kind: str, text: str) -> int:
    return crc32(f"{kind}\x1f{text}".encode("utf-8", "surrogatepass")) & _MASK


@lru_cache(maxsize=65536)
def token_ids(token: str) -> tuple:
    """The hashed features one distinct token brings: the token itself and, for a word, its n-grams."""
    ids = [feature_id("w", token)]
    if len(token) >= 3 and token[0].isalpha():
        padded = f"<{token[:_LONGEST_WORD]}>"
        for size in _GRAM_SIZES:
            ids.extend(feature_id("c", padded[i:i + size]) for i in range(len(padded) - size + 1))
    return tuple(ids)


def pair_id(first: int, second: int) -> int:
    """The hashed feature of two neighbouring tokens, mixed from the ids of the two tokens themselves."""
    return ((first * 0x9E3779B1) ^ (second + 0x7F4A7C15)) * 0x85EBCA6B >> 7 & _MASK


def pair_ids(toks: list) -> list:
    """Hashed features of the distinct pairs of neighbouring tokens, in order of first appearance."""
    return [pair_id(token_ids(a)[0], token_ids(b)[0]) for a, b in dict.fromkeys(zip(toks, toks[1:]))]


def structure_kind(label: str) -> str:
    """'code syntax (4+ lines)' -> 'code syntax'; 'file .py' -> 'file name'."""
    if label.startswith("file ."):
        return "file name"
    return label.split(" (", 1)[0]


def dense_features(structure: list, lexicon: list) -> dict:
    """Structure signals and lexicon hits (lists of Signal) -> {dense feature name: value}."""
    out = {}
    for signal in structure:
        kind = structure_kind(signal.label)
        if kind in STRUCTURE_KINDS:
            out[kind] = max(out.get(kind, 0.0), signal.weight / 3.0)
    code = sum(s.weight for s in lexicon if s.weight > 0)
    chat = -sum(s.weight for s in lexicon if s.weight < 0)
    ambiguous = sum(1 for s in lexicon if s.weight == 0)
    if code:
        out["lexicon code words"] = math.log1p(code)
    if chat:
        out["lexicon chat words"] = math.log1p(chat)
    if ambiguous:
        out["lexicon ambiguous words"] = math.log1p(ambiguous)
    return out


def hashed_row(toks: list) -> dict:
    """The hashed part of a message as {feature id: value}, as the model sees it (training uses this)."""
    ids = [i for token in dict.fromkeys(toks) for i in token_ids(token)]
    ids.extend(pair_ids(toks))
    if not ids:
        return {}
    scale = 1.0 / math.sqrt(len(ids))
    row = {}
    for i in ids:
        row[i] = row.get(i, 0.0) + scale
    return row
