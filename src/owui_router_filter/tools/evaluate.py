"""`owui-router eval`: score a router configuration against a labeled JSONL corpus.

Each line of the corpus is a JSON object
`{"id", "lang", "label": "code"|"chat"|"vision", "messages": [...], "tags": [...], "split": "dev"|"test"}`
(`split` is optional). The router is run on every conversation with the given valves; the report has
accuracy, balanced accuracy (mean recall over the labels present), per-label precision and recall,
a confusion matrix, breakdowns per language, per tag and single/multi-turn, and the misrouted
examples. `--baseline` scores, side by side, the naive filter of the original sketch: route to the
coder when the last message contains "def", "class", "python" or "code".
"""

import argparse
import json
import pathlib
import sys
import time

from ..function.router import decide
from ..function.text import content_text
from .options import load_valves

LABELS = ("code", "chat", "vision")
PASS = "pass"  # the router passed the request through (route None): always counted as wrong
NAIVE_KEYWORDS = ("def", "class", "python", "code")


class CorpusError(ValueError):
    """A corpus file that cannot be scored (bad JSON, missing fields, unknown labels)."""


def load_corpus(path, split=None) -> list:
    """Read a JSONL corpus; `split` ('dev', 'test', None/'all') keeps only that part."""
    records, ids = [], set()
    text = pathlib.Path(path).read_text(encoding="utf-8")
    # "\n" only: str.splitlines() would also split on U+2028/U+2029 and other separators inside JSON strings
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise CorpusError(f"{path}:{number}: not JSON: {error}") from None
        if not isinstance(record, dict):
            raise CorpusError(f"{path}:{number}: expected a JSON object")
        missing = [key for key in ("id", "label", "messages") if key not in record]
        if missing:
            raise CorpusError(f"{path}:{number}: missing {', '.join(missing)}")
        if record["label"] not in LABELS:
            raise CorpusError(f"{path}:{number}: label {record['label']!r} is not one of {', '.join(LABELS)}")
        if not isinstance(record["messages"], list) or not record["messages"]:
            raise CorpusError(f"{path}:{number}: messages must be a non-empty list")
        if record["id"] in ids:
            raise CorpusError(f"{path}:{number}: duplicate id {record['id']!r}")
        ids.add(record["id"])
        record.setdefault("lang", "?")
        record.setdefault("tags", [])
        records.append(record)
    if split not in (None, "all"):
        records = [r for r in records if r.get("split") == split]
    return records


def last_user_text(messages) -> str:
    for message in reversed(messages or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def naive_baseline(messages) -> str:
    """The original sketch: 'code' when the last user message contains def/class/python/code
    (substrings, case-insensitive), else 'chat'. It knows nothing of images."""
    text = last_user_text(messages).lower()
    return "code" if any(word in text for word in NAIVE_KEYWORDS) else "chat"


def router_for(valves=None):
    """A function messages -> route for the package's decide() with these valves."""
    def route(messages):
        return decide(messages, valves).route
    return route


def _ratio(num, den):
    return None if den == 0 else num / den


def _scores(pairs):
    """pairs: [(label, predicted)] -> accuracy, balanced accuracy, per-label P/R, confusion."""
    n = len(pairs)
    correct = sum(1 for label, predicted in pairs if label == predicted)
    per_label, recalls = {}, []
    for label in LABELS:
        support = sum(1 for t, _ in pairs if t == label)
        predicted = sum(1 for _, p in pairs if p == label)
        hits = sum(1 for t, p in pairs if t == label and p == label)
        recall = _ratio(hits, support)
        per_label[label] = {"support": support, "predicted": predicted, "correct": hits,
                            "precision": _ratio(hits, predicted), "recall": recall}
        if recall is not None:
            recalls.append(recall)
    columns = list(LABELS) + ([PASS] if any(p == PASS for _, p in pairs) else [])
    confusion = {t: {p: sum(1 for a, b in pairs if a == t and b == p) for p in columns} for t in LABELS}
    return {"n": n, "correct": correct, "accuracy": _ratio(correct, n),
            "balanced_accuracy": (sum(recalls) / len(recalls)) if recalls else None,
            "labels": per_label, "confusion": confusion}


def _brief(pairs):
    s = _scores(pairs)
    return {"n": s["n"], "correct": s["correct"], "accuracy": s["accuracy"],
            "balanced_accuracy": s["balanced_accuracy"]}


def _excerpt(messages, width=110) -> str:
    text = " ".join(last_user_text(messages).split())
    if not text:
        text = "(no text: image only)"
    return text if len(text) <= width else text[: width - 1] + "…"


def evaluate(records, valves=None, router=None) -> dict:
    """Score `router` (messages -> route; default: decide() with `valves`) on `records`."""
    route = router or router_for(valves)
    rows = []
    started = time.perf_counter()
    for record in records:
        predicted = route(record["messages"])
        rows.append((record, predicted if predicted in LABELS else PASS))
    elapsed = time.perf_counter() - started
    pairs = [(r["label"], p) for r, p in rows]
    report = _scores(pairs)
    report["seconds"] = elapsed

    def breakdown(key_of):
        groups = {}
        for record, predicted in rows:
            for key in key_of(record):
                groups.setdefault(key, []).append((record["label"], predicted))
        return {key: _brief(groups[key]) for key in sorted(groups)}

    report["by_lang"] = breakdown(lambda r: [r.get("lang", "?")])
    report["by_tag"] = breakdown(lambda r: r.get("tags") or [])
    report["by_turns"] = breakdown(
        lambda r: ["multi" if sum(1 for m in r["messages"] if isinstance(m, dict) and m.get("role") == "user") > 1
                   else "single"])
    report["by_split"] = breakdown(lambda r: [r["split"]] if r.get("split") else [])
    report["hard"] = report["by_tag"].get("hard")
    report["misrouted"] = [
        {"id": r["id"], "lang": r.get("lang"), "label": r["label"], "predicted": p,
         "tags": r.get("tags", []), "text": _excerpt(r["messages"])}
        for r, p in rows if p != r["label"]
    ]
    return report


# ---------------------------------------------------------------- printing

def _f(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


def _line(name, brief):
    return (f"  {name:<18} n={brief['n']:<4} accuracy {_f(brief['accuracy'])}  "
            f"balanced {_f(brief['balanced_accuracy'])}")


def format_report(report, title="router", max_misrouted=40) -> str:
    out = [f"== {title}: {report['n']} conversations, {report['correct']} routed right"]
    out.append(f"accuracy           {_f(report['accuracy'])}")
    out.append(f"balanced accuracy  {_f(report['balanced_accuracy'])}   (mean per-label recall)")
    out.append("")
    out.append(f"  {'label':<8}{'precision':>10}{'recall':>8}{'support':>9}{'predicted':>11}")
    for label in LABELS:
        s = report["labels"][label]
        out.append(f"  {label:<8}{_f(s['precision']):>10}{_f(s['recall']):>8}{s['support']:>9}{s['predicted']:>11}")
    out.append("")
    columns = list(next(iter(report["confusion"].values())).keys())
    out.append("confusion (rows: label, columns: routed to)")
    out.append("  " + " " * 8 + "".join(f"{c:>8}" for c in columns))
    for label in LABELS:
        out.append(f"  {label:<8}" + "".join(f"{report['confusion'][label][c]:>8}" for c in columns))
    for heading, key in (("per language", "by_lang"), ("single / multi-turn", "by_turns"),
                         ("per split", "by_split"), ("per tag", "by_tag")):
        if report[key]:
            out.append("")
            out.append(heading)
            out.extend(_line(name, brief) for name, brief in report[key].items())
    misrouted = report["misrouted"]
    out.append("")
    out.append(f"misrouted: {len(misrouted)}" + (f" (first {max_misrouted})" if len(misrouted) > max_misrouted else ""))
    for m in misrouted[:max_misrouted]:
        tags = ",".join(m["tags"])
        out.append(f"  {m['id']:<14} {m['label']:>6} -> {m['predicted']:<6} [{tags}] {m['text']}")
    return "\n".join(out)


def format_comparison(router, baseline) -> str:
    rows = [("accuracy", router["accuracy"], baseline["accuracy"]),
            ("balanced accuracy", router["balanced_accuracy"], baseline["balanced_accuracy"])]
    for label in LABELS:
        for metric in ("precision", "recall"):
            rows.append((f"{label} {metric}", router["labels"][label][metric], baseline["labels"][label][metric]))
    if router.get("hard"):
        rows.append(("hard", router["hard"]["accuracy"], baseline["hard"]["accuracy"]))
    for group in ("by_lang", "by_turns"):
        for key in router[group]:
            rows.append((f"{key}", router[group][key]["accuracy"], baseline[group][key]["accuracy"]))
    out = ["== router vs naive baseline (def/class/python/code substrings)",
           f"  {'':<20}{'router':>9}{'baseline':>10}"]
    out.extend(f"  {name:<20}{_f(a):>9}{_f(b):>10}" for name, a, b in rows)
    return "\n".join(out)


# ---------------------------------------------------------------- command line

def _parser():
    p = argparse.ArgumentParser(prog="owui-router eval",
                                description="Score the router on a labeled JSONL corpus (see data/README.md).")
    p.add_argument("corpus", metavar="FILE.jsonl", help="the labeled corpus, e.g. data/corpus.jsonl")
    p.add_argument("--split", choices=("dev", "test", "all"), default="all",
                   help="score only this part of the corpus (default: all)")
    p.add_argument("--valves", metavar="JSON", help="valves as a JSON file or an inline JSON object")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="set one valve (repeatable)")
    p.add_argument("--baseline", action="store_true",
                   help="also score the naive def/class/python/code filter, side by side")
    p.add_argument("--json", action="store_true", help="print the report(s) as JSON")
    p.add_argument("--max-misrouted", type=int, default=40, metavar="N",
                   help="list at most N misrouted conversations (default 40; 0: none)")
    p.add_argument("--fail-under", type=float, metavar="X",
                   help="exit 1 when the router's balanced accuracy is below X")
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        valves = load_valves(args.valves, args.set)
        records = load_corpus(args.corpus, args.split)
    except (ValueError, OSError) as error:
        print(f"owui-router eval: {error}", file=sys.stderr)
        return 2
    if not records:
        print(f"owui-router eval: no records in {args.corpus} (split {args.split})", file=sys.stderr)
        return 2
    report = evaluate(records, valves)
    baseline = evaluate(records, router=naive_baseline) if args.baseline else None
    if args.json:
        data = {"corpus": str(args.corpus), "split": args.split, "valves": valves.model_dump(), "router": report}
        if baseline is not None:
            data["baseline"] = baseline
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        title = f"router ({args.corpus}, split {args.split})"
        print(format_report(report, title, max(args.max_misrouted, 0)))
        if baseline is not None:
            print()
            print(format_report(baseline, "naive baseline", max(args.max_misrouted, 0)))
            print()
            print(format_comparison(report, baseline))
    if args.fail_under is not None and (report["balanced_accuracy"] or 0.0) < args.fail_under:
        print(f"owui-router eval: balanced accuracy {_f(report['balanced_accuracy'])} < {args.fail_under}",
              file=sys.stderr)
        return 1
    return 0


__all__ = ["LABELS", "evaluate", "format_report", "load_corpus", "main", "naive_baseline", "router_for"]
