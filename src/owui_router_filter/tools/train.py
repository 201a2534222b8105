"""`owui-router train`: learn the scorer's weights and write them into function/weights.py.

    owui-router train                  # train on the shared data, write src/owui_router_filter/function/weights.py
    owui-router train --check          # retrain and compare with the committed weights (exit 1 if they differ)
    owui-router train --curve 1000,5000,20000   # learning curve: train on subsets, score the validation set

The examples are the labeled training set (tools/trainset.py: public prompt sets read from
../shared/data/train, label corrections from data/train_labels.tsv, the team's own pt/es prompts)
plus the one-message conversations of data/corpus.jsonl's `dev` split. The features are exactly the
filter's (function/features.py); the model is scikit-learn's L2 logistic regression with balanced
class weights (a training-only extra: `pip install -e .[train]`). The same data gives byte-identical
weights: examples are sorted by id, the solver is deterministic, and the weights are rounded before
they are written.
"""

import argparse
import base64
import hashlib
import pathlib
import sys
import time
import zlib

from ..function import features
from ..function.signals import builtin_vocabulary, keyword_signals, structure_signals, tokenize
from ..function.text import clip
from ..function.valves import RouterValves
from .evaluate import last_user_text, load_corpus

WEIGHTS_FILE = pathlib.Path(__file__).resolve().parents[1] / "function" / "weights.py"
CORPUS = pathlib.Path(__file__).resolve().parents[3] / "data" / "corpus.jsonl"
VALIDATION = ("arena-hard-v2", "routing.jsonl")  # beside the train folder: reported on, never trained on
C = 16.0  # inverse regularization strength: 3-fold cross-validation on the training set gave balanced 0.952 (C=1), 0.960 (4), 0.962 (16)
CORPUS_WEIGHT = 8.0  # our hand-written dev conversations (hard near-misses in en/pt/es) count 8 times: 3-fold CV on the dev split gave balanced 0.984 (weight 3), 0.989 (8)


def examples(train_dir=None) -> list:
    """(id, text, label, weight) for every training example, sorted by id."""
    from .trainset import load_training_set

    out = [(e.id, e.text, e.label, 1.0) for e in load_training_set(train_dir)]
    for record in load_corpus(CORPUS, "dev"):
        users = [m for m in record["messages"] if isinstance(m, dict) and m.get("role") == "user"]
        if record["label"] in ("code", "chat") and len(users) == 1:
            out.append((f"corpus/{record['id']}", last_user_text(record["messages"]), record["label"], CORPUS_WEIGHT))
    out.sort(key=lambda e: e[0])
    return out


def row(text: str) -> tuple:
    """One message as the filter sees it: ({hashed id: value}, {dense name: value})."""
    raw = clip(text, RouterValves().max_scan_chars)
    lexicon = keyword_signals(tokenize(raw), builtin_vocabulary())
    dense = features.dense_features(structure_signals(raw), lexicon)
    return features.hashed_row(features.feature_tokens(raw)), dense


def matrix(texts):
    """A CSR matrix: the hashed columns, then one column per dense feature."""
    import numpy as np
    from scipy.sparse import csr_matrix

    dense_col = {name: features.HASH_SIZE + k for k, name in enumerate(features.DENSE_FEATURES)}
    indptr, indices, data = [0], [], []
    for text in texts:
        hashed, dense = row(text)
        items = sorted(hashed.items()) + sorted((dense_col[k], v) for k, v in dense.items())
        indices.extend(i for i, _ in items)
        data.extend(v for _, v in items)
        indptr.append(len(indices))
    shape = (len(indptr) - 1, features.HASH_SIZE + len(features.DENSE_FEATURES))
    return csr_matrix((np.array(data, dtype=np.float64), np.array(indices, dtype=np.int64),
                       np.array(indptr, dtype=np.int64)), shape=shape)


def fit(X, y, weights, c=C):
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    model = LogisticRegression(C=c, class_weight="balanced", solver="lbfgs", max_iter=3000, tol=1e-6)
    with threadpool_limits(limits=1):  # one BLAS thread: the same sums in the same order, every run
        model.fit(X, y, sample_weight=weights)
    return model


def encode(model, summary: dict) -> str:
    """weights.py: the hashed weights as signed bytes (zlib, base85) and the rest as literals."""
    import numpy as np

    coef = model.coef_[0]
    hashed, dense = coef[: features.HASH_SIZE], coef[features.HASH_SIZE:]
    scale = float(np.abs(hashed).max()) / 127.0 or 1.0
    quantized = np.clip(np.rint(hashed / scale), -127, 127).astype(np.int8)
    blob = base64.b85encode(zlib.compress(quantized.tobytes(), 9)).decode("ascii")
    lines = [blob[i:i + 96] for i in range(0, len(blob), 96)]
    model_literal = {
        "version": 1,
        "hash_bits": features.HASH_BITS,
        "bias": round(float(model.intercept_[0]), 6),
        "scale": float(f"{scale:.9g}"),
        "dense": {name: round(float(w), 6) for name, w in zip(features.DENSE_FEATURES, dense)},
        "trained_on": summary,
    }
    body = ["MODEL = {"]
    for key, value in model_literal.items():
        if isinstance(value, dict):
            body.append(f"    {key!r}: {{")
            body.extend(f"        {k!r}: {v!r}," for k, v in value.items())
            body.append("    },")
        else:
            body.append(f"    {key!r}: {value!r},")
    body.append("}")
    return (
        '"""The learned scorer\'s weights. Generated by `owui-router train`: do not edit by hand.\n\n'
        f"{summary['examples']} labeled prompts; {features.HASH_SIZE} hashed weights as signed bytes (times MODEL['scale']),\n"
        'zlib-compressed and base85-encoded; the dense weights and the bias as numbers.\n"""\n\n'
        + "\n".join(body) + "\n\nHASHED_WEIGHTS = (\n" + "".join(f'    "{line}"\n' for line in lines) + ")\n"
    )


def train(train_dir=None, limit=None, log=print):
    """Train on every example (or a fixed subset of `limit`); returns (model, summary, examples)."""
    import numpy as np

    from .trainset import data_checksum

    started = time.perf_counter()
    data = examples(train_dir)
    if limit is not None and limit < len(data):
        order = sorted(data, key=lambda e: hashlib.sha256(e[0].encode()).hexdigest())  # a fixed, id-keyed sample
        data = sorted(order[:limit], key=lambda e: e[0])
    X = matrix(e[1] for e in data)
    y = np.array([1 if e[2] == "code" else 0 for e in data])
    w = np.array([e[3] for e in data])
    log(f"train: {len(data)} examples ({int(y.sum())} code), features in {time.perf_counter() - started:.1f} s")
    model = fit(X, y, w)
    summary = {
        "examples": len(data),
        "code": int(y.sum()),
        "chat": int(len(y) - y.sum()),
        "train_data_sha256": data_checksum(train_dir),
        "corpus_dev_examples": sum(1 for e in data if e[0].startswith("corpus/")),
        "C": C,
    }
    log(f"train: fitted in {time.perf_counter() - started:.1f} s")
    return model, summary, data


def _validation_path(train_dir=None):
    from .trainset import DEFAULT_TRAIN_DIR

    base = pathlib.Path(train_dir or DEFAULT_TRAIN_DIR).parent
    return base.joinpath(*VALIDATION)


def curve(sizes, train_dir=None, log=print) -> list:
    """Balanced accuracy of the scorer alone (one message, threshold 3) on the validation set, per train size."""
    import numpy as np

    records = load_corpus(_validation_path(train_dir))
    texts = [last_user_text(r["messages"]) for r in records]
    labels = np.array([1 if r["label"] == "code" else 0 for r in records])
    Xv = matrix(texts)
    points = []
    for size in sizes:
        model, summary, _ = train(train_dir, limit=size, log=lambda *_: None)
        predicted = model.decision_function(Xv) >= 0
        recalls = [float((predicted[labels == k] == bool(k)).mean()) for k in (1, 0)]
        points.append((summary["examples"], sum(recalls) / 2))
        log(f"curve: {summary['examples']:>6} examples -> validation balanced accuracy {points[-1][1]:.3f}")
    return points


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="owui-router train", description=__doc__.split("\n\n")[0])
    p.add_argument("--train-dir", default=None, help="the public prompt sets (default ../shared/data/train)")
    p.add_argument("--output", default=str(WEIGHTS_FILE), help="where to write weights.py")
    p.add_argument("--check", action="store_true", help="retrain and compare with --output; exit 1 if different")
    p.add_argument("--limit", type=int, default=None, help="train on a fixed subset of N examples")
    p.add_argument("--curve", default=None, metavar="N,N,...", help="learning curve on the validation set")
    args = p.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        if args.curve:
            sizes = [int(s) for s in args.curve.split(",") if s.strip()]
            curve(sizes, args.train_dir)
            return 0
        model, summary, _ = train(args.train_dir, args.limit)
    except ImportError as error:
        print(f"owui-router train: {error}; install the training extra: pip install -e '.[train]'", file=sys.stderr)
        return 2
    except (OSError, ValueError) as error:
        print(f"owui-router train: {error}", file=sys.stderr)
        return 2
    source = encode(model, summary)
    output = pathlib.Path(args.output)
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != source:
            print(f"owui-router train: {output} differs from a fresh training run", file=sys.stderr)
            return 1
        print(f"{output} is reproduced byte for byte ({len(source.encode())} bytes)")
        return 0
    output.write_text(source, encoding="utf-8")
    print(f"wrote {output} ({len(source.encode())} bytes, {summary['examples']} examples); "
          f"run 'owui-router build' to put it into functions/router_filter.py")
    return 0


__all__ = ["curve", "encode", "examples", "main", "matrix", "row", "train"]
