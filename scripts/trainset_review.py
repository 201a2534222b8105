#!/usr/bin/env python3
"""Review tooling for the training set (a training-only extra: needs scikit-learn).

Fits a quick first model (TF-IDF word + character n-grams, logistic regression) with 5-fold
cross-validated predictions on the training set, prints its balanced accuracy, and writes the
examples on which the current label, the router (`decide`) and the model disagree, most confident
first, for a person to read and record corrections in data/train_labels.tsv.

    PYTHONPATH=src python scripts/trainset_review.py --out /tmp/review.jsonl
"""
import argparse
import json
import sys

from owui_router_filter import decide
from owui_router_filter.tools.trainset import load_training_set


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="/tmp/review.jsonl")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)

    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import StratifiedKFold

    examples = load_training_set()
    texts = [e.text[:3000] for e in examples]
    y = [1 if e.label == "code" else 0 for e in examples]
    word = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=200000, sublinear_tf=True,
                           token_pattern=r"(?u)\b\w+\b|[^\w\s]")
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=3, max_features=200000,
                           sublinear_tf=True)
    X = hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
    # (the vectorizers see all texts, labels are only seen per fold: fine for a review model)
    prob = [0.0] * len(examples)
    for train, test in StratifiedKFold(args.folds, shuffle=True, random_state=0).split(X, y):
        model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")
        model.fit(X[train], [y[i] for i in train])
        for i, p in zip(test, model.predict_proba(X[test])[:, 1]):
            prob[i] = float(p)
    pred = [1 if p >= 0.5 else 0 for p in prob]
    print(f"cross-validated balanced accuracy ({args.folds}-fold): {balanced_accuracy_score(y, pred):.4f}")
    router = [decide([{"role": "user", "content": e.text}]).route for e in examples]
    router_y = [1 if r == "code" else 0 for r in router]
    print(f"router balanced accuracy against these labels: {balanced_accuracy_score(y, router_y):.4f}")
    rows = []
    for e, p, r in zip(examples, prob, router):
        model_label = "code" if p >= 0.5 else "chat"
        if model_label == e.label and r == e.label:
            continue
        conf = p if e.label == "chat" else 1 - p  # how strongly the model says the other label
        rows.append({"id": e.id, "source": e.source, "lang": e.lang, "label": e.label, "origin": e.origin,
                     "router": r, "model": model_label, "p_code": round(p, 3), "conf": round(conf, 3),
                     "text": e.text})
    rows.sort(key=lambda r: (-(r["model"] != r["label"]) - (r["router"] != r["label"]), -r["conf"], r["id"]))
    with open(args.out, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    both = sum(1 for r in rows if r["model"] != r["label"] and r["router"] != r["label"])
    print(f"{len(rows)} disagreements ({both} where model and router both differ from the label) -> {args.out}")


if __name__ == "__main__":
    sys.exit(main())
