"""The labeled training set for the learned code/chat scorer.

Reads the public sources under the shared training folder (one folder per source, described in
its SOURCES.md), takes the user's prompt out of each record, gives it a label (the source's, then
the named rules below, then the hand review in data/train_labels.tsv), drops anything that matches
an evaluation prompt, caps each source, and returns a deterministic list of Examples.

No text of the sources is stored in the repository: only this code, the label corrections keyed
by id, and the docs (docs/training-data.md). Standard library only.

    python -m owui_router_filter.tools.trainset --stats
    python -m owui_router_filter.tools.trainset --dump out.jsonl      # the set, for training/review
    python -m owui_router_filter.tools.trainset --disagreements      # source/rule label vs the router
"""

from __future__ import annotations

import argparse
import bz2
import csv
import gzip
import hashlib
import io
import json
import os
import pickle
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_TRAIN_DIR = Path(
    os.environ.get("OWUI_ROUTER_TRAIN_DIR") or (REPO_ROOT.parent / "shared" / "data" / "train")
)
OWN_PROMPTS = REPO_ROOT / "data" / "own_prompts.jsonl"
LABELS_TSV = REPO_ROOT / "data" / "train_labels.tsv"
HOLDOUT = REPO_ROOT / "data" / "holdout.jsonl"
CORPUS = REPO_ROOT / "data" / "corpus.jsonl"
ARENA_ROUTING = ("arena-hard-v2", "routing.jsonl")  # next to the train folder

LABELS = ("code", "chat")
# Evaluation and benchmark sets that must never be trained on. None of them is in the train folder
# (SOURCES.md says so); the loader refuses a folder that has one, and the test checks it.
FORBIDDEN_SOURCES = (
    "mt-bench", "mt_bench", "mtbench", "vicuna", "wizardlm", "mbpp", "arena-hard", "arena_hard",
    "holdout",
)
MAX_CHARS = 12000  # longer first turns (whole pasted documents) are left out
NGRAM = 8  # a training text sharing a run of 8 words with an evaluation prompt is dropped

# Per-source caps (after dedup) so that no source dominates; within a source some files or
# sub-sets have their own cap (SUBCAPS). Records are kept by the smallest sha256 of their id, so a
# cap is a fixed pseudo-random sample that does not move when other sources change.
CAPS = {
    "alpaca-en-parts": 6000,
    "alpaca-zh-hikariming": 4800,
    "belle": 1200,
    "codealpaca": 2500,
    "codesearchnet-queries": 200,
    "cosqa": 800,
    "deep-regex": 1000,
    "evol-instruct-code": 1500,
    "gsm8k": 1200,
    "hh-rlhf": 1800,
    "humaneval": 200,
    "instructionwild": 2000,
    "koala-test-set": 200,
    "llamafactory-data": 2800,
    "mconala": 1400,
    "nl2bash": 1200,
    "oasst-samples": 400,
    "odex": 1000,
    "own": 6000,
    "ptbr-llm-bee": 1200,
    "self-instruct": 500,
    "sharegpt92k-sample": 1000,
    "staqc": 1200,
    "superni-sample": 700,
    "text2sql-data": 1200,
    "wildchat-hard-ru": 1100,
}
SUBCAPS = {
    ("alpaca-zh-hikariming", "code"): 900,
    ("alpaca-zh-hikariming", "arith"): 60,
    ("deep-regex", "nl-rx"): 500,
    ("superni-sample", "*"): 100,  # each of the 7 tasks: one definition, thousands of instances
    ("text2sql-data", "wikisql"): 400,
    ("text2sql-data", "atis"): 300,
    ("text2sql-data", "advising"): 250,
    ("text2sql-data", "*"): 150,  # each of the small ones
    ("mconala", "en"): 900,
    ("ptbr-llm-bee", "coder"): 700,
}

# ---------------------------------------------------------------------------------------------
# reading


@dataclass(frozen=True)
class Example:
    id: str  # stable key "<source>/<file>#<n>" (n = record index in the file, or a stable sub-id)
    source: str  # the folder name under train/
    lang: str  # ISO 639-1 of the user's own words (best guess)
    label: str  # "code" | "chat"
    text: str  # the user's prompt as the router will see it
    origin: str  # how the label was set: "source", "rule:<name>", "review"


@dataclass
class _Raw:
    id: str
    source: str
    text: str
    lang: str
    kind: str  # "code" | "chat" (the source says) | "mixed" (per-record labels needed)
    group: str = ""  # sub-set name for SUBCAPS
    category: str | None = None  # a label the source gives per record (mixed sources)
    lang_tag: str | None = None  # a per-record language tag from the source


def _read_lines(path: Path) -> list[str]:
    """JSONL is read on "\\n" only: some texts hold U+2028, which str.splitlines() would split on."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [line for line in f.read().split("\n") if line.strip()]


def _jsonl(path: Path) -> list:
    rows = []
    for line in _read_lines(path):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:  # instructionwild has a few malformed lines
            rows.append(None)
    return rows


def _json(path: Path):
    raw = path.read_bytes()
    if path.suffix == ".bz2":
        raw = bz2.decompress(raw)
    text = raw.decode("utf-8-sig")
    try:
        return json.loads(text)
    except json.JSONDecodeError:  # one alpaca-zh part has a trailing comma
        return json.loads(re.sub(r",\s*([\]}])\s*$", r"\1", text.rstrip()))


def _join(instruction, extra) -> str:
    instruction = (instruction or "").strip()
    extra = (extra or "").strip() if isinstance(extra, str) else ""
    return f"{instruction}\n\n{extra}" if extra else instruction


def _pick(key: str, options: list[str]) -> str:
    return options[int(hashlib.sha256(key.encode()).hexdigest(), 16) % len(options)]


class _SafeUnpickler(pickle.Unpickler):
    """The StaQC titles are a pickled dict of ints and strings: refuse anything else."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


SQL_FRAMES = [
    "Write a SQL query: {q}",
    "Write a SQL query that answers this question: {q}",
    "SQL for: {q}",
    "Turn this question into a SQL query: {q}",
    "How would I write this as a SQL query? {q}",
    "Give me the SELECT statement for: {q}",
    "text-to-SQL: {q}",
    "Translate into SQL: {q}",
]
REGEX_FRAMES = [
    "Write a regular expression that matches {q}",
    "regex for {q}",
    "Give me a regex matching {q}",
    "I need a regex: {q}",
    "What regular expression would match {q}?",
    "Regex pattern for {q}",
]
SHELL_FRAMES = [
    "{q}",
    "{q}",
    "{q}",
    "bash command: {q}",
    "How do I do this in the Linux shell? {q}",
    "shell one-liner: {q}",
    "Give me the terminal command to do this: {q}",
]


def _read_source(folder: Path) -> list[_Raw]:  # noqa: C901 - one branch per source, on purpose
    src = folder.name
    out: list[_Raw] = []

    def add(file, n, text, lang, kind, **kw):
        if isinstance(text, str) and text.strip():
            out.append(_Raw(f"{src}/{file}#{n}", src, text.strip(), lang, kind, **kw))

    files = sorted(p for p in folder.iterdir() if p.is_file())
    for path in files:
        name = path.name
        if src == "alpaca-en-parts":
            for i, r in enumerate(_json(path)):
                add(name, i, _join(r.get("instruction"), r.get("input")), "en", "mixed")
        elif src == "alpaca-zh-hikariming":
            rows = _json(path)
            if name.startswith("alpaca_data-"):
                kind, group = "mixed", "translated"
            elif name in ("extra_code_questions_zh.json", "extra_computer_questions_zh.json"):
                kind, group = "code", "code"
            else:
                kind, group = "chat", "arith" if "arithmetic" in name else "extra"
            for i, r in enumerate(rows):
                add(name, i, _join(r.get("instruction"), r.get("input")), "zh", kind, group=group)
        elif src == "belle":
            for i, r in enumerate(_jsonl(path)):
                if name == "eval_set.json":
                    cat = "code" if r.get("class") == "code" else "chat"
                    add(name, i, r.get("question"), "zh", "mixed", category=cat)
                else:
                    inst = (r.get("instances") or [{}])[0].get("input")
                    add(name, i, _join(r.get("instruction"), inst), "zh", "mixed")
        elif src == "codealpaca" or src == "evol-instruct-code":
            for i, r in enumerate(_json(path)):
                add(name, i, _join(r.get("instruction"), r.get("input")), "en", "code")
        elif src == "codesearchnet-queries":
            with open(path, encoding="utf-8", newline="") as f:
                for i, r in enumerate(csv.DictReader(f)):
                    add(name, i, r.get("query"), "en", "code")
        elif src == "cosqa":
            for i, r in enumerate(_json(path)):
                add(name, i, r.get("doc"), "en", "code")
        elif src == "deep-regex":
            group = "kb13" if name.startswith("KB13") else "nl-rx"
            for i, line in enumerate(_read_lines(path)):
                key = f"{src}/{name}#{i}"
                add(name, i, _pick(key, REGEX_FRAMES).format(q=line.strip()), "en", "code", group=group)
        elif src == "gsm8k":
            if name != "train.jsonl":  # the test split stays out: it is a common benchmark
                continue
            for i, r in enumerate(_jsonl(path)):
                add(name, i, r.get("question"), "en", "chat")
        elif src == "hh-rlhf":
            for i, r in enumerate(_jsonl(path)):
                m = re.search(r"Human:(.*?)(?:\n\nAssistant:|$)", r.get("chosen", ""), re.S)
                add(name, i, m and m.group(1), "en", "chat")
        elif src == "humaneval":
            for i, r in enumerate(_jsonl(path)):
                add(name, i, r.get("prompt"), "en", "code")
        elif src == "instructionwild":
            lang = "zh" if "_ch" in name else "en"
            for i, r in enumerate(_jsonl(path)):
                if isinstance(r, dict):
                    add(name, i, r.get("instruction"), lang, "mixed")
        elif src == "koala-test-set":
            for i, r in enumerate(_jsonl(path)):
                add(name, i, r.get("prompt"), "en", "mixed")
        elif src == "llamafactory-data":
            lang = "en" if name == "lima.json" else "zh"
            for i, r in enumerate(_json(path)):
                hist = r.get("history") or []
                text = hist[0][0] if hist else _join(r.get("instruction"), r.get("input"))
                add(name, i, text, lang, "mixed")
        elif src == "mconala":
            lang = name.split("_")[0] if "_test" in name else "en"
            for i, r in enumerate(_json(path)):
                add(name, i, r.get("intent") or r.get("rewritten_intent"), lang, "code", group=lang)
        elif src == "nl2bash":
            for i, line in enumerate(_read_lines(path)):
                key = f"{src}/{name}#{i}"
                add(name, i, _pick(key, SHELL_FRAMES).format(q=line.strip()), "en", "code")
        elif src == "oasst-samples":
            for i, r in enumerate(_jsonl(path)):
                if isinstance(r, str):
                    add(name, i, r, "en", "mixed")
                elif isinstance(r, dict) and r.get("role") == "prompter":
                    add(name, i, r.get("text"), r.get("lang") or "en", "mixed")  # the root prompt
        elif src == "odex":
            lang = name.split("_")[0]
            for i, r in enumerate(_jsonl(path)):
                add(name, i, r.get("intent"), lang, "code")
        elif src == "ptbr-llm-bee":
            for i, r in enumerate(_jsonl(path)):
                if name == "coder_tasks.jsonl":
                    add(name, i, r.get("prompt"), "pt", "code", group="coder")
                else:
                    user = next((m for m in r.get("messages", []) if m.get("role") == "user"), {})
                    add(name, i, user.get("content"), "pt", "mixed", group="sft")
        elif src == "self-instruct":
            for i, r in enumerate(_jsonl(path)):
                inst = (r.get("instances") or [{}])[0].get("input")
                add(name, i, _join(r.get("instruction"), inst), "en", "mixed")
        elif src == "sharegpt92k-sample":
            # only conversation starts (<id>_0.json): the other files are later chunks whose first
            # human turn is a follow-up ("continue", "rewrite step 3") that needs the context
            if not name.endswith("_0.json"):
                continue
            conv = [t for t in _json(path).get("conversations") or [] if t.get("from") != "system"]
            if conv and conv[0].get("from") == "human":
                turn = conv[0]
                add(name, 0, turn.get("value"), "en", "mixed", lang_tag=turn.get("language"))
        elif src == "staqc":
            with open(path, "rb") as f:
                titles = _SafeUnpickler(f, encoding="latin1").load()
            for qid in sorted(titles):
                add(name, qid, titles[qid], "en", "code")
        elif src == "superni-sample":
            task = _json(path)
            definition = task.get("Definition") or ""
            if isinstance(definition, list):  # a list of one string in Super-NaturalInstructions
                definition = definition[0] if definition else ""
            for i, inst in enumerate(task.get("Instances") or []):
                add(name, i, _join(definition, inst.get("input")), "en", "chat", group=name)
        elif src == "text2sql-data":
            group = name.split(".")[0]
            for q, r in enumerate(_json(path)):
                for s, sent in enumerate(r.get("sentences") or []):
                    text = sent.get("text") or ""
                    for var, val in (sent.get("variables") or {}).items():
                        text = text.replace(var, str(val))
                    key = f"{src}/{name}#{q}.{s}"
                    add(name, f"{q}.{s}", _pick(key, SQL_FRAMES).format(q=text.strip()), "en", "code",
                        group=group)
        elif src == "wildchat-hard-ru":
            for i, r in enumerate(_json(path)):
                cat = "code" if r.get("cat") == "Coding & Debugging" else "chat"
                add(name, i, r.get("instruction"), "ru", "mixed", category=cat)
        else:
            raise ValueError(f"{folder}: a source this loader does not know; add a reader for it")
    return out


def _read_own(path: Path) -> list[_Raw]:
    out = []
    if not path.exists():
        return out
    for i, r in enumerate(_jsonl(path)):
        if not isinstance(r, dict) or not (r.get("text") or "").strip():
            continue
        if r.get("label") not in LABELS:
            continue
        rid = r.get("id") or str(i)
        out.append(_Raw(f"own/{path.name}#{rid}", "own", r["text"].strip(), r.get("lang") or "pt",
                        r["label"], group=r.get("lang") or ""))
    return out


# ---------------------------------------------------------------------------------------------
# language


_SCRIPTS = [
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("zh", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
]
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_SHAREGPT_UI = "지금 번역하기"  # a browser-extension button ("translate now") pasted into many prompts
_STOP = {
    "en": "the and is are you to of in for what how with this that can it my i be".split(),
    "pt": "o a os as de do da em um uma para com não que é por você isso como está".split(),
    "es": "el la los las de del en un una para con no que es por usted esto como está".split(),
    "fr": "le la les de des du un une pour avec ne pas que est vous ce comment je".split(),
    "it": "il la di che è per una un non con come sono questo della".split(),
    "de": "der die das und ist nicht mit ein eine ich sie wie für auf zu".split(),
    "nl": "de het een en is niet met van ik je wat hoe voor op".split(),
}


def _latin_guess(text: str) -> tuple[str, int]:
    words = re.findall(r"[a-zà-ÿ]+", text.lower())[:400]
    counts = Counter(words)
    scores = {lang: sum(counts[w] for w in stops) for lang, stops in _STOP.items()}
    best = max(scores, key=lambda k: (scores[k], k == "en"))
    return best, scores[best]


def detect_lang(text: str, default: str, tag: str | None = None) -> str:
    """Script first (Han, kana, Cyrillic...); in Latin script the source's language or tag."""
    text = text.replace(_SHAREGPT_UI, "")
    letters = len(_LATIN.findall(text))
    counts = {lang: len(rx.findall(text)) for lang, rx in _SCRIPTS}
    if counts["ja"] >= 2 and counts["ja"] + counts["zh"] >= 0.15 * (letters + 1):
        return "ja"
    for lang in ("zh", "ko", "ru", "ar", "he", "el", "th", "hi"):
        n = counts[lang]
        if n >= 2 and n >= (0.1 if lang in ("zh", "ko") else 0.3) * (letters + n):
            if lang == "ru" and len(re.findall(r"[іїєґІЇЄҐ]", text)) >= 3:
                return "uk"
            return lang
    if default in ("zh", "ja", "ko", "ru"):  # a record of a non-Latin source written in Latin script
        return _latin_guess(text)[0]
    if tag and tag != default:
        # a per-record tag from a language detector: trusted when the function words agree;
        # short English prompts tagged "af", "cy", "da"... stay with the source's language
        guess, score = _latin_guess(text)
        if guess == tag and score >= 1:
            return tag
        return guess if score >= 3 else default
    return default


# ---------------------------------------------------------------------------------------------
# labeling rules. Each is named; the name is recorded in Example.origin as "rule:<name>".

# code-block: the prompt holds code, a stack trace, markup or a command line.
_CODE_BLOCK = re.compile(
    r"```"
    r"|Traceback \(most recent call last\)"
    r"|^\s*(def \w+\(|class \w+[(:]|import \w+|from [\w.]+ import |#include\s*[<\"]|package \w+;"
    r"|public (static |class |void )|private \w+ \w+|function \w*\s*\(|(const|let|var) \w+\s*=)"
    r"|^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|CREATE TABLE|ALTER TABLE)\b"
    r"|<\?php|<!DOCTYPE|</(div|span|table|td|tr|li|ul|body|html|head|script|style|form|button|p)>"
    r"|^\s*(\$ |sudo |npm |pip3? install |git (clone|commit|push|pull|checkout) |docker (run|build) )"
    r"|\b(console\.log|System\.out\.print|printf\(|std::|cout\s*<<|\w+\.\w+\([^)]*\)\s*;)"
    r"|\bat [\w.$]+\([\w]+\.java:\d+\)"
    r"|\b\w+(Error|Exception): ",
    re.M,
)
# count of lines that end like code (; { }) - three or more makes a pasted snippet
_CODE_LINE = re.compile(r"[;{}]\s*$", re.M)

# Programming languages, tools and libraries, written so that the everyday word does not match
# (react, angular, swift, pandas, flask, latex, octave, vue, django... only in their code sense).
_PROG_LANG = (
    r"python|javascript|typescript|java(?!\s+(island|sea|coffee|man|script))|c\+\+|c#|golang|go lang"
    r"|(in|with|using) (rust|go|ruby|swift|r|c|lua|perl|scala|dart|julia)\b(?!\s+(belt|movement))"
    r"|rust (code|program|crate)|ruby on rails|swiftui|swift code|php|kotlin|haskell|matlab|fortran|cobol"
    r"|bash|powershell|shell script|\bsql\b|mysql|postgres(ql)?|sqlite|mongodb|t-sql|pl/sql|nosql"
    r"|(?<!\.)html5?|css3?|jquery|react(\.js|js| native| component| hook)|angularjs|angular (app|component)"
    r"|vue\.?js|node\.?js|express\.js|django (app|model|view|orm|rest|template)|in django"
    r"|flask (app|route|api)|in flask|fastapi|spring boot|laravel|pandas (dataframe|df|series)"
    r"|in pandas|numpy|scipy|matplotlib|tensorflow|pytorch|keras|scikit-learn|sklearn|opencv"
    r"|selenium (webdriver|script|python)|regex|regexp|regular expression|LaTeX|latex (code|document"
    r"|table|formula|equation|command|template)|vba|excel formula|google sheets formula|\bdax\b"
    r"|dockerfile|docker-compose|docker (container|image|run)|kubectl|helm chart|terraform|ansible"
    r"|nginx|yaml file|arduino|verilog|vhdl|asp\.net|vb\.net|\.net (core|framework)|unity3d|webpack"
    r"|git (repo|commit|branch|merge|rebase|push|pull)|github actions|linux command|command line"
    r"|terminal command|cron ?job|crontab|\bawk\b|\bgrep\b|visual basic|rest api|api (call|request"
    r"|endpoint|key)|json (schema|file|object in \w+)|xpath|css selector|jupyter|conda|pip install"
)
_CODE_NOUN = (
    r"program (that|to|which|in|for calculating)|computer program|function (that|to|which|in|for)"
    r"|code|query|regex|regular expression|snippet|algorithm (that|to|in)|unit tests?|test cases? for"
    r"|one-liner|stored procedure|dockerfile|makefile|script (to|in|for (automat|scrap|pars))"
    r"|bash script|python script|class (that|to|in|for a|called)|method (that|to|in)|linked list"
    r"|binary (search )?tree|hash ?map|recursive function|dataframe|api endpoint|web scraper|macro"
    r"|spreadsheet formula|excel formula|sql statement"
)
_CODE_REQUEST_EN = re.compile(
    rf"\b(write|create|generate|implement|develop|build|code|make|design|give me|show me|provide|"
    rf"fix|debug|refactor|optimi[sz]e|complete)\b[^.?!\n]{{0,40}}?\b({_CODE_NOUN})s?\b"
    rf"|\b({_PROG_LANG})\b"
    rf"|\b(source code|this code|the code(?! of| word)|my code|following code|code snippet|pseudo-?code"
    rf"|compiler error|syntax error|runtime error|stack trace|segfault|null pointer|unit test|git repo"
    rf"|programming language|programmatically|in programming)\b",
    re.I,
)
# a mention of a programming language alone is not enough when the ask is about the thing itself
_LANG_ONLY_TRIVIA = re.compile(
    r"^(who|when|what year|where)\b[^?]{0,40}\b(python|java|javascript|html|css|sql|linux|git)\b[^?]{0,40}\?$",
    re.I,
)
_CODE_REQUEST_ZH = re.compile(
    r"代码|编程|源码|源代码|(写|编写|实现|生成|开发|修改|优化|调试)[^。？！\n]{0,8}(程序|函数|代码|正则|查询语句|SQL|插件)"
    r"|(Python|python|Shell|shell|bash|JS|js|VBA)\s*脚本|编写.{0,6}脚本|脚本语言"
    r"|正则表达式|SQL|Python|python|Java|java|C\+\+|JavaScript|javascript|HTML|CSS|Linux命令|shell"
    r"|Shell|命令行|Excel公式|LaTeX|数据库查询|bug|报错|编译错误|Docker|docker|\bgit\b|Git\b|\bAPI接口"
)
_CODE_REQUEST_RU = re.compile(
    r"(напиш\w*|созда\w*|реализу\w*|исправ\w*|оптимизир\w*|переписа\w*|объясни)[^.?!\n]{0,40}"
    r"(код|программ|функци|скрипт|запрос|класс|метод|алгоритм|регулярн|бот)"
    r"|\bкод(а|ом|е|у)?\b|\bскрипт\w*|python|питон\w*|javascript|\bc\+\+|\bc#|\bsql\b|\bbash\b"
    r"|регулярн\w* выражени|\bapi\b|\bhtml\b|\bcss\b|\bjava\b|\bphp\b|\bgolang\b|\brust\b|\bkotlin\b"
    r"|на (python|c\+\+|c#|java|javascript|go|rust|php|pascal|паскал\w*)|компилир|ошибк\w* в коде"
    r"|\bvba\b|\blatex\b|\bdocker\b|\bgit\b|\bunity\b",
    re.I,
)
_CODE_REQUEST_PT_ES = re.compile(
    r"c[oó]digo(?!\s+(civil|penal|postal|de conduta|de defesa|gen[eé]tico|de [eé]tica|da estrada|"
    r"de barras|de tr[aâá]nsito|de processo))"
    r"|\bscript\b|programa(r|ção|ción)?\s+em\s|\bprograma(r)?\s+en\s|fun[cç][aã]o\s+(em|que|para)\s"
    r"|funci[oó]n\s+(en|que|para)\s|planilha|hoja de c[aá]lculo|f[oó]rmula (do|de|en|no) (excel|sheets)"
    r"|consulta sql|banco de dados|base de datos|express[aã]o regular|expresi[oó]n regular"
    r"|\b(python|javascript|java|sql|html|css|php|excel|vba|latex|regex|docker|git|linux|bash)\b",
    re.I,
)


def _has_code_block(text: str) -> bool:
    return bool(_CODE_BLOCK.search(text)) or len(_CODE_LINE.findall(text)) >= 3


def _code_request(text: str, lang: str) -> bool:
    if lang == "zh" or lang == "ja":
        return bool(_CODE_REQUEST_ZH.search(text))
    if lang == "ru":
        return bool(_CODE_REQUEST_RU.search(text) or _CODE_REQUEST_EN.search(text))
    if lang in ("pt", "es"):
        return bool(_CODE_REQUEST_PT_ES.search(text) or _CODE_REQUEST_EN.search(text))
    m = _CODE_REQUEST_EN.search(text)
    if not m:
        return False
    return not _LANG_ONLY_TRIVIA.search(text.strip())


# Named rules, in the order they are tried. Each takes (raw, current label) and returns a new label
# or None. Only rules that fire are recorded.
def _rule_code_block(raw: _Raw, label: str):
    """mixed or chat-labeled prompt that holds code, a stack trace, markup or a command -> code"""
    if raw.kind == "mixed" and label == "chat" and _has_code_block(raw.text):
        return "code"
    return None


def _rule_code_request(raw: _Raw, label: str):
    """mixed prompt that asks for / about code in words (write a function, in Python, SQL...) -> code"""
    if raw.kind == "mixed" and label == "chat" and raw.category is None and _code_request(raw.text, raw.lang):
        return "code"
    return None


# Scratch words: the zh "code questions" are Scratch (block programming) Q&A; a question naming a
# block, sprite, script, variable... is about the program, one without such a word usually is not.
_SCRATCH_TERM = re.compile(
    r"[A-Za-z]|块|积木|脚本|程序|代码|变量|列表|函数|克隆|广播|角色|精灵|舞台|编程|坐标|造型|循环|侦测|画笔|扩展"
)


_SCRATCH_CODE_TERM = re.compile(r"块|积木|脚本|程序|代码|变量|列表|函数|克隆|广播|编程|循环|侦测|递归|[Bb]lock|\(\s*\)")
_WHAT_IS_ZH = re.compile(r"^(什么是[^？?]{1,40}|[^？?]{1,40}(是什么|指的是什么))[？?]?$")


def _rule_scratch_no_code(raw: _Raw, label: str):
    """a zh Scratch "code question" naming no block, sprite, script, variable or program, or a bare
    "what is X?" about a product or term with no code word -> chat"""
    if raw.group == "code" and raw.source == "alpaca-zh-hikariming" and label == "code":
        if not _SCRATCH_TERM.search(raw.text):
            return "chat"
        if _WHAT_IS_ZH.match(raw.text) and not _SCRATCH_CODE_TERM.search(raw.text):
            return "chat"
    return None


# an instruction-style code-source task that gives its (small) input and asks for the result
# itself: "Calculate the mean of [3, 5, 8]", "Sort the given list", "Classify this text" - the answer
# is worked by hand, no code is written or read
_BY_HAND_VERB = re.compile(
    r"^(calculate|compute|find|sort|output|generate|classify|categori[sz]e|reverse|convert|count|identify"
    r"|return|add|subtract|multiply|divide|normali[sz]e|compare|determine|evaluate|summari[sz]e|translate"
    r"|name|list|suggest|describe|explain|what is the (result|output|value|sum|mean|median|average))\b",
    re.I,
)
_ASKS_FOR_CODE = re.compile(
    r"\b(code|program|function|script|algorithm|query|class|method|regex|regular expression|implement\w*"
    r"|sql|html|css|json|xml|python|java\w*|c\+\+|c#|php|ruby|swift|kotlin|rust|bash|shell|api|loop"
    r"|recursion|recursive|variable|syntax|statement|snippet|compile\w*|database|table|array|list "
    r"comprehension|dictionary|object|data structure|pseudo-?code|library|module|framework)\b",
    re.I,
)


_BY_HAND_ANYWAY_NOT = re.compile(r"\w+\s*=\s*[\[{\"']|given (number|integer|string|list|array)s?\b(?!\s*[:=])|\bnth\b|n-th"
                                 r"|linked list|without using|not allowed|efficient|time complexity", re.I)


def _rule_by_hand(raw: _Raw, label: str):
    """a CodeAlpaca / Evol-Instruct-Code task that is worked by hand (a result, not code) -> chat"""
    if raw.source == "codealpaca" and label == "code":  # Evol's rewrites add program constraints
        t = raw.text
        if not ("\n\n" in t or re.search(r"\[[^\]]+\]|\d", t)) or _BY_HAND_ANYWAY_NOT.search(t):
            return None
        if _BY_HAND_VERB.match(t) and not _ASKS_FOR_CODE.search(t) and not _has_code_block(t):
            return "chat"
    return None


RULES = (
    ("code-block", _rule_code_block),
    ("code-request", _rule_code_request),
    ("scratch-no-code", _rule_scratch_no_code),
    ("by-hand", _rule_by_hand),
)


def _label(raw: _Raw) -> tuple[str, str]:
    if raw.kind in LABELS:
        label, origin = raw.kind, "source"
    elif raw.category in LABELS:
        label, origin = raw.category, "source"
    else:
        label, origin = "chat", "rule:mixed-default-chat"
    for name, rule in RULES:
        new = rule(raw, label)
        if new and new != label:
            label, origin = new, f"rule:{name}"
    return label, origin


# ---------------------------------------------------------------------------------------------
# dedup


_CJK_OR_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W_]+")


def _tokens(text: str) -> list[str]:
    return _CJK_OR_WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def normalize(text: str) -> str:
    return " ".join(_tokens(text))


def _ngrams(tokens: list[str], n: int = NGRAM):
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def _user_texts(path: Path, split: str | None = None) -> list[str]:
    texts = []
    for r in _jsonl(path):
        if not isinstance(r, dict) or (split and r.get("split") != split):
            continue
        for m in r.get("messages") or []:
            if m.get("role") != "user":
                continue
            content = m.get("content")
            if isinstance(content, list):
                content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            if isinstance(content, str) and content.strip():
                texts.append(content)
    return texts


def eval_files(train_dir: Path) -> list[tuple[Path, str | None]]:
    return [
        (train_dir.parent / ARENA_ROUTING[0] / ARENA_ROUTING[1], None),
        (HOLDOUT, None),
        (CORPUS, "test"),
    ]


class EvalIndex:
    """The evaluation prompts, as normalized texts and word 8-grams, to drop training look-alikes."""

    def __init__(self, train_dir: Path):
        self.texts: set[str] = set()
        self.grams: set[tuple] = set()
        for path, split in eval_files(train_dir):
            if not path.exists():
                raise FileNotFoundError(
                    f"{path}: an evaluation set the training set must be deduplicated against is missing")
            for text in _user_texts(path, split):
                tokens = _tokens(text)
                self.texts.add(" ".join(tokens))
                self.grams |= _ngrams(tokens)

    def hit(self, text: str) -> bool:
        tokens = _tokens(text)
        if " ".join(tokens) in self.texts:
            return True
        return any(tuple(tokens[i:i + NGRAM]) in self.grams for i in range(len(tokens) - NGRAM + 1))


# ---------------------------------------------------------------------------------------------
# corrections and loading


def read_corrections(path: Path = LABELS_TSV) -> dict[str, tuple[str, str]]:
    out = {}
    if not path.exists():
        return out
    for n, line in enumerate(path.read_text(encoding="utf-8").split("\n")):
        if not line.strip() or line.startswith("#") or (n == 0 and line.startswith("id\t")):
            continue
        parts = line.split("\t")
        if len(parts) < 2 or parts[1] not in LABELS:
            raise ValueError(f"{path}:{n + 1}: expected id<TAB>code|chat<TAB>why, got {line!r}")
        out[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")
    return out


def _train_dir(train_dir) -> Path:
    if train_dir is None:
        train_dir = os.environ.get("OWUI_ROUTER_TRAIN_DIR") or DEFAULT_TRAIN_DIR
    path = Path(train_dir)
    if not path.is_dir():
        raise FileNotFoundError(
            f"training data folder {path} not found: set OWUI_ROUTER_TRAIN_DIR or pass train_dir "
            "(the shared folder with one sub-folder per public source and a SOURCES.md)")
    return path


def _source_folders(train_dir: Path) -> list[Path]:
    folders = sorted(p for p in train_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    for p in folders:
        if any(bad in p.name.lower() for bad in FORBIDDEN_SOURCES):
            raise ValueError(f"{p}: a benchmark/evaluation set must not be used for training")
    return folders


def _sort_key(raw_id: str):
    return hashlib.sha256(raw_id.encode()).hexdigest()


def _cap(raws: list[_Raw], keep, stats: Counter) -> list[_Raw]:
    """Caps per sub-set, then per source. Rows are taken in sha256(id) order and `keep` (the
    evaluation-overlap check) is asked lazily, so a dropped row is replaced by the next one."""
    by_group = defaultdict(list)
    for r in raws:
        by_group[(r.source, r.group)].append(r)
    by_source = defaultdict(list)
    for (source, group), rows in sorted(by_group.items()):
        limit = SUBCAPS.get((source, group))
        if limit is None and group:
            limit = SUBCAPS.get((source, "*"))
        source_cap = CAPS.get(source)
        if source_cap is not None:
            limit = source_cap if limit is None else min(limit, source_cap)
        rows.sort(key=lambda r: _sort_key(r.id))
        taken = 0
        for r in rows:
            if limit is not None and taken >= limit:
                stats["capped"] += 1
                continue
            if keep(r):
                by_source[source].append(r)
                taken += 1
    out = []
    for source, rows in sorted(by_source.items()):
        rows.sort(key=lambda r: _sort_key(r.id))
        cap = CAPS.get(source)
        if cap is not None and len(rows) > cap:
            stats["capped"] += len(rows) - cap
            rows = rows[:cap]
        out.extend(rows)
    return out


def _collect(train_dir: Path, stats: Counter | None = None) -> list[Example]:
    stats = Counter() if stats is None else stats
    raws: list[_Raw] = []
    for folder in _source_folders(train_dir):
        raws.extend(_read_source(folder))
    raws.extend(_read_own(OWN_PROMPTS))
    stats["read"] = len(raws)

    seen: set[str] = set()
    unique = []
    for r in sorted(raws, key=lambda r: r.id):
        if len(r.text) > MAX_CHARS:
            stats["too_long"] += 1
            continue
        norm = normalize(r.text)
        if len(norm) < 3:
            stats["too_short"] += 1
            continue
        if norm in seen:  # the same prompt twice (within or across sources): the first id stays
            stats["duplicate"] += 1
            continue
        seen.add(norm)
        unique.append(r)

    evals = EvalIndex(train_dir)

    def keep(r: _Raw) -> bool:
        if evals.hit(r.text):
            stats["eval_overlap"] += 1
            return False
        return True

    corrections = read_corrections()
    examples = []
    for r in _cap(unique, keep, stats):
        label, origin = _label(r)
        if r.id in corrections:
            new = corrections[r.id][0]
            if new != label:
                stats["corrected"] += 1
            label, origin = new, "review"
        lang = r.lang if r.source == "own" else detect_lang(r.text, r.lang, r.lang_tag)
        examples.append(Example(r.id, r.source, lang, label, r.text, origin))
    examples.sort(key=lambda e: e.id)
    return examples


def load_training_set(train_dir=None) -> list[Example]:
    """The training examples, sorted by id; the same files give the same list."""
    return _collect(_train_dir(train_dir))


def data_checksum(train_dir=None) -> str:
    """sha256 over the names and bytes of every file the set is built from (sources, own prompts,
    label corrections, the evaluation files it is deduplicated against)."""
    path = _train_dir(train_dir)
    files = []
    for folder in _source_folders(path):
        files.extend(sorted(p for p in folder.iterdir() if p.is_file()))
    files += [OWN_PROMPTS, LABELS_TSV] + [p for p, _ in eval_files(path)]
    h = hashlib.sha256()
    for p in files:
        if not p.exists():
            continue
        name = str(p.relative_to(path)) if p.is_relative_to(path) else p.name
        h.update(name.encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# command line


def _print_stats(examples: list[Example], stats: Counter) -> None:
    total = len(examples)
    labels = Counter(e.label for e in examples)
    print(f"examples: {total}   " + "   ".join(f"{k} {v} ({v / total:.0%})" for k, v in sorted(labels.items())))
    print("pipeline: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.items())))
    print("\nper source            total   code   chat")
    per = defaultdict(Counter)
    for e in examples:
        per[e.source][e.label] += 1
    for source in sorted(per):
        c = per[source]
        print(f"  {source:<22}{sum(c.values()):>6} {c['code']:>6} {c['chat']:>6}")
    print("\nper language          total   code   chat")
    per = defaultdict(Counter)
    for e in examples:
        per[e.lang][e.label] += 1
    for lang in sorted(per, key=lambda k: -sum(per[k].values())):
        c = per[lang]
        print(f"  {lang:<22}{sum(c.values()):>6} {c['code']:>6} {c['chat']:>6}")
    print("\nlabel origin")
    for origin, n in Counter(e.origin for e in examples).most_common():
        print(f"  {origin:<30}{n:>6}")


def _router_route(text: str) -> str:
    from owui_router_filter import decide  # lazily: the loader itself needs nothing from the package

    return decide([{"role": "user", "content": text}]).route


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m owui_router_filter.tools.trainset", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train-dir", default=None)
    parser.add_argument("--stats", action="store_true", help="counts per source, label and language")
    parser.add_argument("--dump", metavar="FILE", help="write the examples as JSONL (plus the router's route)")
    parser.add_argument("--checksum", action="store_true")
    parser.add_argument("--sample", type=int, metavar="N", help="print a random sample of N examples (noise check)")
    parser.add_argument("--seed", type=int, default=20261203, help="seed for --sample (default: %(default)s)")
    args = parser.parse_args(argv)
    train_dir = _train_dir(args.train_dir)
    stats = Counter()
    examples = _collect(train_dir, stats)
    if args.sample:
        import random

        for e in sorted(random.Random(args.seed).sample(examples, args.sample), key=lambda e: e.id):
            print(f"{e.id}\t{e.label}\t{e.origin}\t{e.text[:300]!r}")
        return 0
    if args.stats or not (args.dump or args.checksum):
        _print_stats(examples, stats)
    if args.checksum:
        print(data_checksum(train_dir))
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as f:
            for e in examples:
                row = asdict(e)
                row["router"] = _router_route(e.text)
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `... --stats | head`
        sys.exit(0)
