"""Retraining on the shared data reproduces the committed weights byte for byte (`owui-router train --check`),
and the training data is the one the weights say they were trained on."""

import pathlib
import subprocess
import sys

import pytest

from owui_router_filter.function.weights import MODEL

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.timeout(1200)
def test_retraining_reproduces_the_committed_weights():
    from owui_router_filter.tools.trainset import DEFAULT_TRAIN_DIR, data_checksum

    assert pathlib.Path(DEFAULT_TRAIN_DIR).is_dir(), f"the training data is missing: {DEFAULT_TRAIN_DIR}"
    assert data_checksum() == MODEL["trained_on"]["train_data_sha256"], "the shared training data changed: retrain"
    proc = subprocess.run([sys.executable, "-m", "owui_router_filter.tools.cli", "train", "--check"],
                          capture_output=True, text=True, timeout=1200, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "reproduced byte for byte" in proc.stdout
