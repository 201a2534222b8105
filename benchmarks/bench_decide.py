"""Speed and memory of the router's decision, next to the naive baseline.

    python benchmarks/bench_decide.py [--corpus data/corpus.jsonl] [--quick] [--json]

Prints, for the default valves:
- decisions per second over the whole corpus (every conversation, as Open WebUI sends it);
- median and p99 decision time for one-message prompts of 100 B, 10 KB, 100 KB and 1 MB, with the
  default valves (max_scan_chars clips huge pastes) and with max_scan_chars=0 (scan everything), and
  the time per KB, which stays flat when growth is linear;
- the peak memory Python allocates during one decision on each size (tracemalloc), and the process's
  peak resident set size;
- the same for the naive baseline (route to the coder when the last message contains def/class/python/code);
- the resident memory that loading functions/router_filter.py and routing one message adds to a Python that
  already has pydantic loaded (as Open WebUI's has), measured in a fresh subprocess.

Single-threaded, in-process, no network. Numbers vary with the machine and its load: run it twice.
"""

import argparse
import json
import pathlib
import random
import resource
import statistics
import sys
import time
import tracemalloc

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from owui_router_filter import RouterValves, decide  # noqa: E402
from owui_router_filter.tools.evaluate import last_user_text, load_corpus, naive_baseline  # noqa: E402

SIZES = (("100 B", 100), ("10 KB", 10_000), ("100 KB", 100_000), ("1 MB", 1_000_000))


def make_prompt(texts, size: int) -> str:
    """A prompt of `size` UTF-8 bytes (a byte or two less at most) made of real corpus text, prose and
    code mixed in a fixed shuffled order; larger prompts repeat the same mix, so every size has the
    same kind of content and the time per KB is comparable."""
    order = list(texts)
    random.Random(5).shuffle(order)
    out, total, i = [], 0, 0
    while total < size:
        piece = order[i % len(order)] + "\n\n"
        out.append(piece)
        total += len(piece.encode("utf-8"))
        i += 1
    return "".join(out).encode("utf-8")[:size].decode("utf-8", "ignore")


def time_calls(fn, arg, runs: int) -> list:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn(arg)
        samples.append(time.perf_counter() - t0)
    return samples


def p99(samples):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def peak_alloc(fn, arg) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn(arg)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def runs_for(size: int, quick: bool) -> int:
    runs = 400 if size <= 100 else 200 if size <= 10_000 else 40 if size <= 100_000 else 12
    return max(5, runs // 4) if quick else runs


def bench(name, route, corpus, texts, quick):
    """route: messages -> route."""
    result = {"name": name}
    conversations = [r["messages"] for r in corpus]
    for m in conversations[:50]:  # warm caches (compiled patterns, lru caches)
        route(m)
    rounds = 1 if quick else 3
    t0 = time.perf_counter()
    for _ in range(rounds):
        for m in conversations:
            route(m)
    elapsed = time.perf_counter() - t0
    per = [time_calls(route, m, 1)[0] for m in conversations]
    result["corpus"] = {"decisions": len(conversations) * rounds, "seconds": elapsed,
                        "per_second": len(conversations) * rounds / elapsed,
                        "median_us": statistics.median(per) * 1e6, "p99_us": p99(per) * 1e6}
    result["sizes"] = []
    for label, size in SIZES:
        prompt = make_prompt(texts, size)
        messages = [{"role": "user", "content": prompt}]
        route(messages)
        samples = time_calls(route, messages, runs_for(size, quick))
        med = statistics.median(samples)
        result["sizes"].append({"size": label, "bytes": len(prompt.encode("utf-8")), "runs": len(samples),
                                "median_ms": med * 1e3, "p99_ms": p99(samples) * 1e3,
                                "us_per_kb": med * 1e6 / (size / 1000),
                                "peak_alloc_kb": peak_alloc(route, messages) / 1024})
    return result


def show(result):
    c = result["corpus"]
    print(f"== {result['name']}")
    print(f"  corpus: {c['decisions']} decisions in {c['seconds']:.2f} s = {c['per_second']:,.0f} decisions/s "
          f"(median {c['median_us']:.0f} us, p99 {c['p99_us']:.0f} us per conversation)")
    print(f"  {'prompt':<8}{'runs':>6}{'median ms':>12}{'p99 ms':>10}{'us per KB':>11}{'peak alloc':>13}")
    for s in result["sizes"]:
        print(f"  {s['size']:<8}{s['runs']:>6}{s['median_ms']:>12.3f}{s['p99_ms']:>10.3f}"
              f"{s['us_per_kb']:>11.1f}{s['peak_alloc_kb']:>10.0f} KB")


_RSS_PROBE = r"""
import asyncio, sys, types
def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
import pydantic  # Open WebUI has it loaded already
before = rss_kb()
module = types.ModuleType("router_filter_probe")
exec(compile(open(sys.argv[1], encoding="utf-8").read(), sys.argv[1], "exec"), module.__dict__)
body = {"model": "auto", "messages": [{"role": "user", "content": "write a python function that sorts a list"}]}
asyncio.run(module.Filter().inlet(body))
print(body["model"], rss_kb() - before)
"""


def function_resident_kb() -> int:
    """KB of resident memory the pasted function adds once loaded and used (fresh interpreter)."""
    import subprocess

    out = subprocess.run([sys.executable, "-c", _RSS_PROBE, str(ROOT / "functions" / "router_filter.py")],
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default=str(ROOT / "data" / "corpus.jsonl"))
    p.add_argument("--quick", action="store_true", help="fewer runs (for a smoke test)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args(argv)

    corpus = load_corpus(args.corpus)
    texts = [t for t in (last_user_text(r["messages"]) for r in corpus) if t]
    defaults = RouterValves()
    full_scan = RouterValves(max_scan_chars=0)
    runs = [
        bench(f"router, default valves (max_scan_chars={defaults.max_scan_chars})",
              lambda m: decide(m, defaults).route, corpus, texts, args.quick),
        bench("router, max_scan_chars=0 (scan the whole message)",
              lambda m: decide(m, full_scan).route, corpus, texts, args.quick),
        bench("naive baseline (def/class/python/code substrings)", naive_baseline, corpus, texts, args.quick),
    ]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    added_kb = function_resident_kb()
    if args.json:
        print(json.dumps({"runs": runs, "max_rss_mb": rss_mb, "function_added_rss_kb": added_kb,
                          "python": sys.version.split()[0]}, indent=2))
        return 0
    print(f"Python {sys.version.split()[0]}, one thread, {len(corpus)} corpus conversations\n")
    for r in runs:
        show(r)
        print()
    print(f"peak resident set size of this whole benchmark process: {rss_mb:.1f} MB")
    print(f"resident memory added by loading functions/router_filter.py and routing one message: {added_kb / 1024:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
