#!/usr/bin/env bash
# The GPU path in one command (under 5 minutes, no earlier run or model store needed): CUDA provider really
# in use (a silent CPU fallback fails), IO binding, parity on the GPU, and latency of PyTorch CPU/CUDA eager
# vs ONNX Runtime CUDA fp32/fp16 at batch 1 and 32 for the image CNN and MiniLM. Without a CUDA device it
# measures the CPU rows, says the CUDA rows were skipped, and exits 0. Extra arguments go to the script
# (e.g. --out gpu_check.json).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python
exec timeout 300 "$PYTHON" scripts/gpu_check.py "$@"
