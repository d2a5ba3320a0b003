# Quick start: `make run` (index + bot, or a local chat without a Discord token) and `make test`.
SHELL := bash
# A failing command piped into tee still fails its target.
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: run test lint bench bench-scale eval ingest clean reliability-report

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing talentbot into $(VENV) (first run only) ..."
	@$(PY) -m pip install $(PIP_QUIET) --upgrade pip
	@$(PY) -m pip install $(PIP_QUIET) -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

run: $(STAMP)
	@$(VENV)/bin/talentbot run

test: $(STAMP)
	$(PY) -m pytest -q

# The tracked reliability report (docs/reliability.md); a plain `make test` writes build/.
reliability-report: $(STAMP)
	TALENTBOT_RELIABILITY_REPORT=docs/reliability.md $(PY) -m pytest -q tests/reliability

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	@# Secrets: fails on any credential-looking string not audited in .secrets.baseline.
	git ls-files -z | xargs -0 $(VENV)/bin/detect-secrets-hook \
		--baseline .secrets.baseline --exclude-files '^index/models/'
	PYTHON=$(PYTHON) bash deploy/check.sh


eval: $(STAMP)
	$(VENV)/bin/talentbot eval ../shared/eval/dev.yaml

ingest: $(STAMP)
	$(VENV)/bin/talentbot ingest

# The peer baseline (sentence-transformers on torch) lives in its own environment so
# torch's threads never share a process with onnxruntime's.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	@$(BENCH_VENV)/bin/python -m pip install $(PIP_QUIET) torch==2.13.0
	@$(BENCH_VENV)/bin/python -m pip install $(PIP_QUIET) -c constraints.txt -e '.[bench]'
	@touch $@

bench: $(STAMP) $(BENCH_VENV)/.installed
	@mkdir -p bench-results
	TALENTBOT_BASELINE_PYTHON=$(BENCH_VENV)/bin/python $(VENV)/bin/talentbot bench --json \
		| tee bench-results/bench.json
	$(PY) tools/bench_bot.py | tee bench-results/bot.json
	$(PY) tools/bench_llm.py | tee bench-results/llm.json
	$(PY) tools/bench_abuse.py | tee bench-results/abuse.json
	@$(MAKE) --no-print-directory bench-scale

# Store scale, embedded versus a Chroma server (vectors cached under ~/.cache/talentbot-bench).
# 10k chunks by default (about 15 min on a fresh machine, most of it embedding once);
# CHUNKS="10000 100000" for the full run (about 1.5 h here, less once the vectors are cached).
bench-scale: $(STAMP)
	@mkdir -p bench-results
	$(PY) tools/bench_scale.py --chunks $(or $(CHUNKS),10000) > bench-results/scale.json
	$(PY) tools/bench_scale.py report bench-results/scale.json | tee bench-results/scale.md

clean:
	rm -rf $(VENV) $(BENCH_VENV) .venv-deploy data bench-results build
