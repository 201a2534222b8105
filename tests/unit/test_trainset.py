"""The training set for the learned scorer: size, labels, sources, dedup against the evaluation
sets, determinism, and the hand corrections. Needs the shared training folder; it fails (never
skips) when that folder is missing."""
import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from owui_router_filter.tools import trainset as ts

FORBIDDEN = ("mt-bench", "mt_bench", "mtbench", "vicuna", "wizardlm", "mbpp", "arena", "holdout")


def _train_dir() -> Path:
    path = Path(os.environ.get("OWUI_ROUTER_TRAIN_DIR") or ts.DEFAULT_TRAIN_DIR)
    if not path.is_dir():
        pytest.fail(
            f"training data folder {path} is missing: the training-set test needs the shared folder "
            "of public sources (set OWUI_ROUTER_TRAIN_DIR to it)", pytrace=False)
    return path


@pytest.fixture(scope="module")
def examples():
    return ts.load_training_set(_train_dir())


def test_size_and_labels(examples):
    assert len(examples) >= 20000
    labels = Counter(e.label for e in examples)
    assert set(labels) == {"code", "chat"}
    assert 0.25 <= labels["code"] / len(examples) <= 0.6, labels


def test_fields(examples):
    for e in examples:
        assert e.label in ("code", "chat")
        assert e.text.strip() and e.text == e.text.strip()
        assert e.id.startswith(e.source + "/") and "#" in e.id
        assert re.fullmatch(r"[a-z]{2}", e.lang), e
        assert e.origin == "source" or e.origin == "review" or e.origin.startswith("rule:")


def test_languages(examples):
    langs = Counter(e.lang for e in examples)
    for lang in ("en", "zh", "ru", "pt", "es"):
        assert langs[lang] >= 200, langs


def test_no_source_dominates(examples):
    sources = Counter(e.source for e in examples)
    assert max(sources.values()) <= 0.25 * len(examples), sources.most_common(3)


def test_no_forbidden_sources(examples):
    for e in examples:
        assert not any(bad in e.id.lower() for bad in FORBIDDEN), e.id
    for folder in _train_dir().iterdir():
        assert not any(bad in folder.name.lower() for bad in FORBIDDEN), folder


def test_ids_unique_and_sorted(examples):
    ids = [e.id for e in examples]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


def _eval_prompts():
    root = ts.REPO_ROOT
    files = [(_train_dir().parent / "arena-hard-v2" / "routing.jsonl", None),
             (root / "data" / "holdout.jsonl", None), (root / "data" / "corpus.jsonl", "test")]
    for path, split in files:
        assert path.exists(), f"{path}: an evaluation set is missing"
        for line in path.read_text(encoding="utf-8").split("\n"):
            if not line.strip():
                continue
            row = json.loads(line)
            if split and row.get("split") != split:
                continue
            for m in row["messages"]:
                if m["role"] == "user" and isinstance(m["content"], str):
                    yield m["content"]


def test_dedup_against_eval_sets(examples):
    texts, grams = set(), set()
    for prompt in _eval_prompts():
        words = ts.normalize(prompt).split()
        texts.add(" ".join(words))
        grams.update(tuple(words[i:i + 8]) for i in range(len(words) - 7))
    assert len(texts) > 900
    for e in examples:
        words = ts.normalize(e.text).split()
        assert " ".join(words) not in texts, e.id
        assert not any(tuple(words[i:i + 8]) in grams for i in range(len(words) - 7)), e.id


def test_no_duplicate_texts(examples):
    norms = Counter(ts.normalize(e.text) for e in examples)
    assert norms.most_common(1)[0][1] == 1


def test_deterministic(examples):
    again = ts.load_training_set(_train_dir())
    assert again == examples
    assert ts.data_checksum(_train_dir()) == ts.data_checksum(_train_dir())


def test_corrections_exist(examples):
    corrections = ts.read_corrections()
    ids = {e.id: e for e in examples}
    missing = [i for i in corrections if i not in ids]
    assert not missing, f"{len(missing)} ids in data/train_labels.tsv are not in the set: {missing[:5]}"
    for i, (label, why) in corrections.items():
        assert ids[i].label == label and ids[i].origin == "review"
        assert why.strip(), f"{i}: a correction needs a reason"


def test_stats_cli(examples, capsys, monkeypatch):
    monkeypatch.setattr(ts, "_collect", lambda train_dir, stats=None: examples)  # one load is enough
    assert ts.main(["--stats", "--train-dir", str(_train_dir())]) == 0
    out = capsys.readouterr().out
    assert "per source" in out and "per language" in out
