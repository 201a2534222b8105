"""structure.py finds each kind of structure from what it must contain, for speed. Here are the plain
regular expressions it stands for, run the plain way (these are what the weights were trained with):
both must give the same signals on real texts and on a large fuzzed sample built from the pieces the
patterns look for."""

import json
import pathlib
import random
import re
from itertools import islice

import pytest

from owui_router_filter.function.structure import (  # the plain expressions, used both ways
    _CODE_LINE,
    _HTML,
    _INLINE_CODE,
    _LATEX,
    _REGEX,
    Signal,
    structure_signals,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]

_STACK_TRACE = re.compile(
    r"Traceback \(most recent call last\)|^\s*File \"[^\"]+\", line \d+|^\s+at [\w.$<>]+\([\w.]+:\d+\)"
    r"|^\s+at .+ \(.+:\d+:\d+\)|Segmentation fault|core dumped|panicked at|^panic: |npm ERR!|error\[E\d{4}\]"
    r"|Exception in thread|^\s*\w+(?:\.\w+)+(?:Error|Exception)\b|undefined is not a function|Cannot read propert",
    re.MULTILINE,
)
_ERROR_NAME = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b|\bE[A-Z]{3,}\b(?=:)|\berrno\b|\b(?i:fatal|error|hint):\s")
_SHELL = re.compile(
    r"^\s*(?:\$|#|PS [A-Z]:\\[^>]*>)\s+(?:sudo|apt|pip|npm|npx|git|docker|cd|ls|mkdir|rm|cp|mv|chmod|curl|wget|python3?|node|make|ssh|kubectl|brew|cargo|go)\b"
    r"|\b(?:sudo|apt-get|apt|pip3?|npm|npx|yarn|git|docker|kubectl|brew|systemctl|journalctl|chmod|chown|ssh|scp|rsync|tar|grep|curl|wget)"
    r" +(?:-{1,2}[\w-]+|install|run|add|commit|push|pull|clone|status|checkout|build|exec|logs|restart|start|apply|get|init)\b"
    r"|\b(?:awk|sed|find|xargs|sort|uniq|head|tail|ls|du|df|ps|kill|lsof|netstat|crontab|tar|zip|unzip|cat|wc|cut|tr)"
    r" +(?:-{1,2}[a-zA-Z][\w-]*|\.|/|\*)",
    re.MULTILINE,
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
_FORMULA = re.compile(r"=\s*[A-Z][A-Z0-9.]{1,15}\(|\b[A-Z]{1,3}\$?\d{1,6}:\$?[A-Z]{1,3}\$?\d{1,6}\b")
_CALL = re.compile(r"\b[A-Za-z_][\w.]*\([^()\n]{0,80}\)")
_IDENT = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]+[A-Z][a-z0-9]+[A-Za-z0-9]*\b")
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_SUBSCRIPT = re.compile(r"\b[A-Za-z_]\w*\[(?:[^\]\n]{0,40}:[^\]\n]{0,40}|\d+|['\"][\w-]+['\"])\]")
_HTTP_VERB = re.compile(r"\b(?:GET|POST|PUT|PATCH|DELETE|OPTIONS)\b")
_PORT = re.compile(r"\b(?:port|porta|puerto|localhost|127\.0\.0\.1|0\.0\.0\.0):?\s?\d{2,5}\b", re.IGNORECASE)


def _count(pattern, raw, cap):
    return sum(1 for _ in islice(pattern.finditer(raw), cap))


def plain_structure_signals(raw: str) -> list:
    """The reference: every pattern run over the whole text."""
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
    if _SQL.search(raw):
        found.append(Signal("SQL", 4.0))
    for match in _FILE_NAME.finditer(raw):
        if match.group(0).lower() not in _NOT_FILE:
            found.append(Signal(f"file .{match.group(1).lower()}", 3.0))
            break
    if _FORMULA.search(raw):
        found.append(Signal("spreadsheet formula", 4.0))
    if _LATEX.search(raw):
        found.append(Signal("LaTeX", 3.0))
    if _REGEX.search(raw):
        found.append(Signal("regex syntax", 3.0))
    if _count(_HTML, raw, 2) >= 2:
        found.append(Signal("HTML tags", 2.0))
    calls = _count(_CALL, raw, 3)
    if calls:
        found.append(Signal("call syntax", 1.0 if calls < 3 else 2.0))
    if _count(_IDENT, raw, 2) >= 2:
        found.append(Signal("code identifiers", 1.5))
    elif _SNAKE.search(raw):
        found.append(Signal("code identifier", 1.0))
    if "```" not in raw and _INLINE_CODE.search(raw):
        found.append(Signal("inline code", 2.0))
    if len({m.group(0) for m in islice(_HTTP_VERB.finditer(raw), 40)}) >= 2:
        found.append(Signal("HTTP methods", 3.0))
    if _SUBSCRIPT.search(raw):
        found.append(Signal("index or slice syntax", 2.0))
    if _PORT.search(raw):
        found.append(Signal("port number", 2.0))
    return found


# Pieces the patterns look for, their near misses, and characters that change case, width or words.
PIECES = [
    "a", "b", "X", "Z", "_", " ", " ", "  ", "    ", "\n", "\n", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028",
    "\u00a0", "\u3000", "(", ")", "[", "]", "{", "}", ";", ":", "=", "<", ">", "$", "#", "@", "!", "\\", "/", '"',
    "'", "`", ".", ",", "-", "+", "*", "?", "^", "|", "&", "%", "~", "0", "1", "42", "8080", "é", "ß", "ſ", "K",
    "İ", "ı", "ﬁ", "Ⅸ", "中文", "٣", "Σ", "ς", "ǅ",
    'File "', 'File "x.py", line 3', "Traceback (most recent call last)", "Error", "Exception", "ValueError",
    "java.lang.NullPointerException", "errno", "ENOENT:", "ERROR: ", "fatal: ", "Hint: ", "FATAL:", "error[E0425]",
    "  at x.y(A.java:12)", "    at f (a.js:1:2)", "at ", "panic: ", "npm ERR!", "core dumped", "def ", "class A",
    "import os", "return x", "if x:", "for i in y {", "else {", "x = 1", "x += [", "    y(", "\tz;", "// c", "/* ",
    "console.log(", "print(", "SELECT ", "SELECT a FROM t", "FROM", "INSERT INTO", "UPDATE t SET", "LEFT JOIN",
    "GROUP BY", "select *", "select count(", "CREATE TABLE", "git ", "git push", "sudo apt install", "pip3 install",
    "apt-get ", "install", "-v", "--force", "$ ", "# ", "PS C:\\x> ", "ls -l", "ls .", "find /", "cat *", "tar ",
    "port 80", "Porta: 443", "puerto 3000", "localhost:8080", "127.0.0.1:5000", "0.0.0.0 22", "PORT", "=SUM(",
    "= VLOOKUP(", "A1:B2", "$A$1:$C$10", "\\frac", "\\begin", "$$x$$", "\\d+", "[a-z]+", "(?:", "^\\", "\\.py",
    "<div>", "</p>", "<a href=x>", "foo(x)", "a.b(c)", "_f()", "0a.b(", "snake_case", "camelCase", "iPhone",
    "__init__", "x[1]", "y['k']", "z[1:2]", "1[a:y[1]]", "GET", "POST", "PUT", "DELETE", "TARGET", "x.py", "a-b.js",
    "-x.py", "x.pyc", "e.g", "a.c", "i.e.", "index.html", ".py", "`code`", "```", "=>", "):", ") {", ";\n", "{\n",
]


def _fuzz(seed: int, n: int) -> list:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40))) for _ in range(n)]


def _corpus_texts() -> list:
    texts = []
    for line in (ROOT / "data" / "corpus.jsonl").read_text(encoding="utf-8").split("\n"):
        if line.strip():
            for message in json.loads(line)["messages"]:
                if isinstance(message.get("content"), str):
                    texts.append(message["content"])
    return texts


@pytest.mark.parametrize("seed", range(4))
def test_the_same_signals_as_the_plain_expressions_on_fuzzed_text(seed):
    texts = _fuzz(seed, 5000)
    # at least some of the fuzz must hit each kind, or the comparison proves little
    kinds = {s.label.split(" (")[0].split(" .")[0] for t in texts for s in plain_structure_signals(t)}
    assert len(kinds) >= 17, kinds
    for text in texts:
        assert structure_signals(text) == plain_structure_signals(text), repr(text)


def test_the_same_signals_on_the_corpus_and_on_long_mixed_text():
    texts = _corpus_texts()
    joined = "\n\n".join(texts)
    texts += [joined[:100_000], joined[-100_000:], "x" * 300 + ".py", "-" * 700 + "a_b", "a" * 600 + "(x)"]
    for text in texts:
        assert structure_signals(text) == plain_structure_signals(text), repr(text[:200])


def test_long_runs_before_a_word_are_read_whole():
    """A name found from its end (`.py`, `(`, `[`, `_`) starts where its run of characters starts, however long."""
    assert structure_signals("0" * 5000 + "a.b(x)") == plain_structure_signals("0" * 5000 + "a.b(x)")
    assert [s.label for s in structure_signals("é" * 3000 + "x_y")] == []
    assert [s.label for s in structure_signals("q" * 3000 + "x_y")] == ["code identifier"]
    assert [s.label for s in structure_signals("-" * 3000 + "name.py")] == ["file .py"]
