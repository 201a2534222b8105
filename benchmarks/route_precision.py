"""Precision and recall of one admin route against a tag of a labeled corpus.

    python benchmarks/route_precision.py                      # the README's math route vs Arena-Hard's hard_prompt/math
    python benchmarks/route_precision.py --route 'sql -> gpt-code: select, join' --tag sql --corpus data/corpus.jsonl

A record counts as "routed" when the decision's route is the admin route's name; the truth is the tag.
"""

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from owui_router_filter import decide  # noqa: E402
from owui_router_filter.function.routes import parse_routes  # noqa: E402
from owui_router_filter.tools.evaluate import load_corpus  # noqa: E402

MATH = r"math -> gpt-reasoning: prove, theorem, integral, derivada, equação, /\d+\s*[x×*]\s*\d+/"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--route", default=MATH)
    p.add_argument("--tag", default="hard_prompt/math")
    p.add_argument("--corpus", default=str(ROOT.parent / "shared" / "data" / "arena-hard-v2" / "routing.jsonl"))
    args = p.parse_args(argv)
    parsed = parse_routes(args.route)
    if not parsed.routes:
        print(f"route_precision: no route in {args.route!r}: {'; '.join(parsed.problems)}", file=sys.stderr)
        return 2
    name = parsed.routes[0].name
    tp = fp = fn = tn = 0
    for record in load_corpus(args.corpus):
        routed = decide(record["messages"], {"routes": args.route}).route == name
        tagged = args.tag in record.get("tags", [])
        tp += routed and tagged
        fp += routed and not tagged
        fn += tagged and not routed
        tn += not routed and not tagged
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    print(f"route {name!r} vs tag {args.tag!r} on {args.corpus}: {tp + fp + fn + tn} records, "
          f"{tp + fn} tagged, {tp + fp} routed")
    print(f"precision {precision:.3f}  recall {recall:.3f}  (tp {tp}, fp {fp}, fn {fn})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
