"""Structure: what the shape of the raw text says (fenced blocks, lines of code, stack traces, shell
commands, SQL, file names with code extensions, spreadsheet formulas, LaTeX, regular expressions...).

Each kind is a pattern that reads best as one regular expression (the comment above each function
gives it). Run as written, most of them would start the regex engine at every character of a long
message, because they begin with `^` or `\\b`. So each is looked for from something it must contain
and that the engine finds fast: a literal, a newline, a bracket. Lines are found as the newline that
starts them (in "\\n" + the text), and a word is found from its `_`, its `(` or its `.py`, then
checked whole. The results are exactly those of the plain expressions (tests/unit/test_structure.py
holds them and compares both on a large fuzzed and real sample), so the trained weights still apply.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Signal:
    label: str
    weight: float

    def __str__(self):
        return f"{self.label} ({self.weight:+g})"


def _after_word(words, then: str = "") -> str:
    """Lookbehinds: one of `words`, as a whole word, then `then`, right before this point (grouped by
    length, as a lookbehind must have one width)."""
    by_length = {}
    for word in words:
        by_length.setdefault(len(word), []).append(re.escape(word))
    return "|".join(rf"(?<=\b(?:{'|'.join(group)}){then})" for _, group in sorted(by_length.items()))


def _run_start(raw: str, end: int, tail) -> int:
    """Where the run of characters that `tail` (a pattern like `[\\w.]*\\Z`) accepts and that ends at
    `end` begins: looked for in a window before `end`, widened while the run fills it."""
    width = 64
    while True:
        start = max(0, end - width)
        found = tail.search(raw, start, end).start()
        if found > start or start == 0:
            return found
        width *= 8


_WORD_TAIL = re.compile(r"\w*\Z")
_WORD_DOT_TAIL = re.compile(r"[\w.]*\Z")
_NAME_TAIL = re.compile(r"[\w-]*\Z")
_WORD = re.compile(r"\w*")

# ---- stack traces and error messages -------------------------------------------------------------
# Traceback \(most recent call last\)|^\s*File "[^"]+", line \d+|^\s+at [\w.$<>]+\([\w.]+:\d+\)
# |^\s+at .+ \(.+:\d+:\d+\)|Segmentation fault|core dumped|panicked at|^panic: |npm ERR!|error\[E\d{4}\]
# |Exception in thread|^\s*\w+(?:\.\w+)+(?:Error|Exception)\b|undefined is not a function|Cannot read propert
# (multi-line: ^ starts any line)
_TRACE_WORDS = (
    "Traceback (most recent call last)", "Segmentation fault", "core dumped", "panicked at", "npm ERR!",
    "Exception in thread", "undefined is not a function", "Cannot read propert",
)
_TRACE_FILE_LINE = re.compile(r"\n\s*File \"[^\"]+\", line \d+")
_TRACE_AT_LINE = re.compile(r"\n\s+at (?:[\w.$<>]+\([\w.]+:\d+\)|.+ \(.+:\d+:\d+\))")
_TRACE_ERROR_LINE = re.compile(r"\n\s*\w+(?:\.\w+)+(?:Error|Exception)\b")
_RUST_ERROR = re.compile(r"error\[E\d{4}\]")


def _stack_trace(raw: str, lined: str) -> bool:
    return bool(
        any(word in raw for word in _TRACE_WORDS)
        or "\npanic: " in lined
        or ("error[E" in raw and _RUST_ERROR.search(raw))
        or ('File "' in raw and _TRACE_FILE_LINE.search(lined))
        or ("at " in raw and _TRACE_AT_LINE.search(lined))
        or (("Error" in raw or "Exception" in raw) and _TRACE_ERROR_LINE.search(lined))
    )


# \b[A-Z][A-Za-z]*(?:Error|Exception)\b|\bE[A-Z]{3,}\b(?=:)|\berrno\b|\b(?i:fatal|error|hint):\s
_ERROR_CLASS = re.compile(r"[A-Z](?<!\w[A-Z])[A-Za-z]*(?:Error|Exception)\b")
_ERRNO_NAME = re.compile(r"E(?<!\wE)[A-Z]{3,}\b(?=:)")
_ERRNO = re.compile(r"errno(?<!\werrno)\b")
_ERROR_LABEL = re.compile(r":(?:(?<=\b(?i:fatal|error):)|(?<=\b(?i:hint):))\s")


def _error_message(raw: str) -> bool:
    return bool(
        (("Error" in raw or "Exception" in raw) and _ERROR_CLASS.search(raw))
        or ("errno" in raw and _ERRNO.search(raw))
        or (":" in raw and (_ERRNO_NAME.search(raw) or _ERROR_LABEL.search(raw)))
    )


# ---- lines of code -----------------------------------------------------------------------------
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
    re.MULTILINE,
)
# The plain expression's branches, apart: the one that ends a line, and the ones that start one
# (found from the newline before the line, in "\n" + raw).
_CODE_LINE_END = re.compile(r"(?:;|\{|\}|\):|\) \{|=>)\s*$", re.MULTILINE)  # single characters apart: a faster scan
_CODE_LINE_BEGIN = re.compile(
    r"\n(?:\s*(?:def |class \w|import [\w.]+|from [\w.]+ import|return\b|elif\b|except\b|try:|finally:|raise \w"
    r"|async def|public |private |protected |static |void |let |const |var |function\b|fn \w|func \w"
    r"|package [\w.]+;?$|using [\w.]+;|namespace |#include|#define|template\s*<|struct \w|impl\b|pub fn"
    r"|println!|console\.\w+\(|print\(|printf\(|echo |System\.out|SELECT |INSERT |UPDATE \w+ SET|CREATE "
    r"|//|/\*|\*/|#!|@\w+\(?|<\?php|\w+\s*:=)"
    r"|\s*(?:if|for|while|switch|else|foreach)\b.*[:{]\s*$"
    r"|\s*[A-Za-z_][\w.\[\]\"']*\s*(?:=|\+=|-=|\*=)\s*[\w\"'\[\({-]"
    r"|(?: {4}|\t)+\S.*[(){}\[\];=:])",
    re.MULTILINE,
)


def _code_lines(raw: str, lined: str, cap: int) -> int:
    """The plain expression's matches, counted up to `cap`: each starts where the next line that one
    of its branches fits begins, or at the next end of line that fits."""
    count, pos = 0, 0
    while count < cap:
        ending = _CODE_LINE_END.search(raw, pos)
        line = _CODE_LINE_BEGIN.search(lined, pos)  # its newline at index i of lined: line i of raw
        if ending is None and line is None:
            break
        at = min(m.start() for m in (ending, line) if m is not None)
        match = _CODE_LINE.match(raw, at)
        if match is None:  # cannot happen: a branch fits at `at`
            break
        count += 1
        pos = match.end()
    return count


# ---- shell commands ------------------------------------------------------------------------------
# ^\s*(?:\$|#|PS [A-Z]:\\[^>]*>)\s+(?:sudo|apt|...|go)\b              (a prompt, then a command)
# |\b(?:sudo|apt-get|...|wget) +(?:-{1,2}[\w-]+|install|...|init)\b   (a command, then an option or verb)
# |\b(?:awk|sed|...|tr) +(?:-{1,2}[a-zA-Z][\w-]*|\.|/|\*)             (a tool, then an option or path)
# The last two are looked for from each command word found in the text.
_PROMPTED_COMMANDS = (
    "sudo|apt|pip|npm|npx|git|docker|cd|ls|mkdir|rm|cp|mv|chmod|curl|wget|python3?|node|make|ssh|kubectl|brew|cargo|go"
)
_COMMANDS = (
    "sudo", "apt-get", "apt", "pip", "pip3", "npm", "npx", "yarn", "git", "docker", "kubectl", "brew", "systemctl",
    "journalctl", "chmod", "chown", "ssh", "scp", "rsync", "tar", "grep", "curl", "wget",
)
_COMMAND_ARGS = r"-{1,2}[\w-]+|install|run|add|commit|push|pull|clone|status|checkout|build|exec|logs|restart|start|apply|get|init"
_TOOLS = (
    "awk", "sed", "find", "xargs", "sort", "uniq", "head", "tail", "ls", "du", "df", "ps", "kill", "lsof", "netstat",
    "crontab", "tar", "zip", "unzip", "cat", "wc", "cut", "tr",
)
_PROMPT_LINE = re.compile(rf"\n\s*(?:\$|#|PS [A-Z]:\\[^>]*>)\s+(?:{_PROMPTED_COMMANDS})\b")


def _keyed(word_patterns) -> tuple:
    """(word, pattern) pairs -> (the word, the pattern as `\\bword...`, begun by the word), for a search
    that runs only if the word is in the text and then jumps from one of its places to the next."""
    return tuple((key, re.compile(rf"{re.escape(word)}(?<!\w{re.escape(word)}){rest}")) for key, word, rest in word_patterns)


_COMMAND_USES = _keyed(
    [(f"{word} ", word, rf" +(?:{_COMMAND_ARGS})\b") for word in _COMMANDS]
    + [(f"{word} ", word, r" +(?:-{1,2}[a-zA-Z][\w-]*|\.|/|\*)") for word in _TOOLS]
)


def _any_keyed(raw: str, keyed) -> bool:
    return any(key in raw and pattern.search(raw) for key, pattern in keyed)


def _shell(raw: str, lined: str) -> bool:
    return bool((("$" in raw or "#" in raw or "PS " in raw) and _PROMPT_LINE.search(lined)) or _any_keyed(raw, _COMMAND_USES))


# ---- SQL, formulas, LaTeX, regex, HTML -------------------------------------------------------------
# \bSELECT\b[\s\S]{1,300}?\bFROM\b|\bINSERT\s+INTO\b|\bCREATE\s+(?:TABLE|INDEX|VIEW)\b|\bUPDATE\s+\w+\s+SET\b
# |\bDELETE\s+FROM\b|\b(?:INNER|LEFT|RIGHT|OUTER)\s+JOIN\b|\bGROUP\s+BY\b|\bALTER\s+TABLE\b
# |\bselect\s+(?:\*|\w+\.\w+|count\(|distinct\b)
_SQL = _keyed((
    ("SELECT", "SELECT", r"\b[\s\S]{1,300}?\bFROM\b"), ("INSERT", "INSERT", r"\s+INTO\b"),
    ("CREATE", "CREATE", r"\s+(?:TABLE|INDEX|VIEW)\b"), ("UPDATE", "UPDATE", r"\s+\w+\s+SET\b"),
    ("DELETE", "DELETE", r"\s+FROM\b"), ("INNER", "INNER", r"\s+JOIN\b"), ("LEFT", "LEFT", r"\s+JOIN\b"),
    ("RIGHT", "RIGHT", r"\s+JOIN\b"), ("OUTER", "OUTER", r"\s+JOIN\b"), ("GROUP", "GROUP", r"\s+BY\b"),
    ("ALTER", "ALTER", r"\s+TABLE\b"), ("select", "select", r"\s+(?:\*|\w+\.\w+|count\(|distinct\b)"),
))


def _sql(raw: str) -> bool:
    return _any_keyed(raw, _SQL)


# =\s*[A-Z][A-Z0-9.]{1,15}\(|\b[A-Z]{1,3}\$?\d{1,6}:\$?[A-Z]{1,3}\$?\d{1,6}\b
_FORMULA_CALL = re.compile(r"=\s*[A-Z][A-Z0-9.]{1,15}\(")
_CELL_RANGE_END = re.compile(r":\$?[A-Z]{1,3}\$?\d")
_CELL_RANGE = re.compile(r"[A-Z](?<!\w[A-Z])[A-Z]{0,2}\$?\d{1,6}:\$?[A-Z]{1,3}\$?\d{1,6}\b")


def _formula(raw: str) -> bool:
    return bool(
        ("=" in raw and "(" in raw and _FORMULA_CALL.search(raw))
        or (":" in raw and _CELL_RANGE_END.search(raw) and _CELL_RANGE.search(raw))
    )


_LATEX = re.compile(
    r"\\(?:begin|end|frac|sum|int|sqrt|documentclass|usepackage|section|mathbb|mathrm|alpha|beta|left|right|label"
    r"|cite|textbf|item|includegraphics|newcommand)\b|\$\$[^$]{1,200}\$\$"
)
_REGEX = re.compile(r"\\[dwsbDWS][+*?{]|\[\^?[a-zA-Z0-9]-[a-zA-Z0-9][^\]]*\][+*?{]|\(\?[:=!<]|\^\\|\\\.\w")
_HTML = re.compile(r"</?(?:div|span|html|body|head|script|style|table|tr|td|ul|li|button|input|form|a|p|img|h[1-6])\b[^<>]{0,200}>")
_INLINE_CODE = re.compile(r"`[^`\n]{2,300}`")

# ---- words that look like code -------------------------------------------------------------------
# \b[\w-]+\.(py|ipynb|...|log)\b, the first match that is not an abbreviation (e.g): from its extension.
_FILE_EXT = re.compile(
    r"\.(py|ipynb|js|mjs|ts|tsx|jsx|java|kt|go|rs|cpp|cc|cxx|hpp|h|c|cs|rb|php|swift|scala|sh|bash|ps1|bat"
    r"|sql|ya?ml|toml|ini|env|json|xml|html?|css|scss|vue|svelte|lua|pl|dart|r|jl|tf|gradle|lock|cfg|conf|log)\b"
)
_NAME_HEAD = re.compile(r"\b[\w-]+\Z")
_NOT_FILE = frozenset(("e.g", "i.e", "a.c", "d.c", "p.s"))


def _file_extension(raw: str):
    pos = 0
    for ext in _FILE_EXT.finditer(raw):
        dot = ext.start()
        start = max(pos, _run_start(raw, dot, _NAME_TAIL))
        head = _NAME_HEAD.search(raw, start, dot) if start < dot else None
        if head:
            if raw[head.start():ext.end()].lower() not in _NOT_FILE:
                return ext.group(1).lower()
            pos = ext.end()
    return None


# \b[A-Za-z_][\w.]*\([^()\n]{0,80}\), counted: from each "(".
_PAREN = re.compile(r"\([^()\n]{0,80}\)")
_CALL_HEAD = re.compile(r"\b[A-Za-z_][\w.]*\Z")


def _calls(raw: str, cap: int) -> int:
    count = 0
    for paren in _PAREN.finditer(raw):
        at = paren.start()
        if at and _CALL_HEAD.search(raw, _run_start(raw, at, _WORD_DOT_TAIL), at):
            count += 1
            if count >= cap:
                break
    return count


# \b[A-Za-z_]\w*\[(?:[^\]\n]{0,40}:[^\]\n]{0,40}|\d+|['"][\w-]+['"])\]: from each "[".
_BRACKET = re.compile(r"\[(?=(?:[^\]\n]{0,40}:[^\]\n]{0,40}|\d+|['\"][\w-]+['\"])\])")
_NAME_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")


def _subscript(raw: str) -> bool:
    for bracket in _BRACKET.finditer(raw):
        at = bracket.start()
        start = _run_start(raw, at, _WORD_TAIL)
        if start < at and raw[start] in _NAME_FIRST:
            return True
    return False


# \b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]+[A-Z][a-z0-9]+[A-Za-z0-9]*\b: each match is a whole word,
# found from its "_" (snake_case) or from a capital after a small letter (camelCase).
_IDENT_WORD = re.compile(r"([a-z][a-z0-9]*(?:_[a-z0-9]+)+)|[a-z]+[A-Z][a-z0-9]+[A-Za-z0-9]*")
_CAMEL = re.compile(r"[A-Z](?<=[a-z][A-Z])")


def _identifiers(raw: str, cap: int) -> tuple:
    """(words like snake_case or camelCase, counted up to `cap`; whether one is snake_case). A word
    with both a "_" and a capital is neither, so reading each word once per kind counts it once."""
    count, snake = 0, False
    for find in (lambda at: raw.find("_", at), lambda at: (m.start() if (m := _CAMEL.search(raw, at)) else -1)):
        at = find(0)
        while at >= 0:
            start, end = _run_start(raw, at, _WORD_TAIL), _WORD.match(raw, at).end()
            word = _IDENT_WORD.fullmatch(raw, start, end)
            if word:
                count += 1
                snake = snake or word.group(1) is not None
                if count >= cap:
                    return count, snake
            at = find(end)
    return count, snake


_HTTP_VERB = re.compile(r"(?:G(?<!\wG)ET|P(?<!\wP)(?:OST|UT|ATCH)|D(?<!\wD)ELETE|O(?<!\wO)PTIONS)\b")
_HTTP_VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# \b(?:port|porta|puerto|localhost|127\.0\.0\.1|0\.0\.0\.0):?\s?\d{2,5}\b, any case; its words and a
# digit are looked for first in the case-folded text.
_PORT = re.compile(r"\b(?:port|porta|puerto|localhost|127\.0\.0\.1|0\.0\.0\.0):?\s?\d{2,5}\b", re.IGNORECASE)
_PORT_HINTS = (
    ("port", re.compile(r"porta?:?\s?\d")), ("puerto", re.compile(r"puerto:?\s?\d")),
    ("localhost", re.compile(r"localhost:?\s?\d")), ("127.0.0.1", re.compile(r"127\.0\.0\.1:?\s?\d")),
    ("0.0.0.0", re.compile(r"0\.0\.0\.0:?\s?\d")),
)


def _count(pattern, raw: str, cap: int) -> int:
    """How many matches of `pattern` there are in `raw`, counting no further than `cap`."""
    count = 0
    for _ in pattern.finditer(raw):
        count += 1
        if count >= cap:
            break
    return count


def structure_signals(raw: str) -> list:
    """Signals from the shape of the raw text; each kind counted once, some scaled by how often they appear."""
    found = []
    lined = "\n" + raw  # every line of raw starts after a newline here
    if "```" in raw:
        found.append(Signal("code block", 4.0))
    if _stack_trace(raw, lined):
        found.append(Signal("stack trace", 5.0))
    elif _error_message(raw):
        found.append(Signal("error message", 3.0))
    code_lines = _code_lines(raw, lined, 4)
    if code_lines:
        found.append(Signal(f"code syntax ({code_lines}{'+' if code_lines >= 4 else ''} lines)", min(5.0, 1.5 * code_lines)))
    if _shell(raw, lined):
        found.append(Signal("shell command", 3.0))
    if _sql(raw):
        found.append(Signal("SQL", 4.0))
    extension = _file_extension(raw) if "." in raw else None
    if extension:
        found.append(Signal(f"file .{extension}", 3.0))
    if _formula(raw):
        found.append(Signal("spreadsheet formula", 4.0))
    if ("\\" in raw or "$$" in raw) and _LATEX.search(raw):
        found.append(Signal("LaTeX", 3.0))
    if ("\\" in raw or "[" in raw or "(?" in raw) and _REGEX.search(raw):
        found.append(Signal("regex syntax", 3.0))
    if "<" in raw and _count(_HTML, raw, 2) >= 2:
        found.append(Signal("HTML tags", 2.0))
    calls = _calls(raw, 3) if "(" in raw else 0
    if calls:
        found.append(Signal("call syntax", 1.0 if calls < 3 else 2.0))
    identifiers, snake = _identifiers(raw, 2)
    if identifiers >= 2:
        found.append(Signal("code identifiers", 1.5))
    elif snake:
        found.append(Signal("code identifier", 1.0))
    if "```" not in raw and "`" in raw and _INLINE_CODE.search(raw):
        found.append(Signal("inline code", 2.0))
    if sum(verb in raw for verb in _HTTP_VERBS) >= 2 and _distinct(_HTTP_VERB, raw, 40) >= 2:
        found.append(Signal("HTTP methods", 3.0))
    if "[" in raw and _subscript(raw):
        found.append(Signal("index or slice syntax", 2.0))
    if _any_keyed(raw.casefold(), _PORT_HINTS) and _PORT.search(raw):
        found.append(Signal("port number", 2.0))
    return found


def _distinct(pattern, raw: str, first: int) -> int:
    """How many different texts the first `first` matches of `pattern` have."""
    seen = set()
    for n, match in enumerate(pattern.finditer(raw)):
        if n >= first:
            break
        seen.add(match.group(0))
    return len(seen)
