# mlkit developer tasks.
#
#   make demo        create .venv, install mlkit, train and evaluate the default model on GoEmotions
#   make test        install the dev extras and run the default test suite
#
# Every pip command passes -c constraints.txt: it pins the versions mlkit is tested with
# (torch included, so that an extra that needs torch gets the CPU build, not a CUDA one).
#
# The virtual environment is created once and re-created only when what decides the
# installation changes: pyproject.toml's [build-system] or [project] table, constraints.txt,
# or the Python version (major.minor). A stamp file inside $(VENV) records them. An existing $(VENV) without a stamp (made by hand) is reused when its
# Python matches $(PYTHON), and brought up to date with pip; otherwise it is re-created.

PYTHON ?= python3
VENV ?= .venv
PYTEST_ARGS ?=
DEMO_ARGS ?=
BENCH_ARGS ?=

ifeq ($(filter-out / . ..,$(strip $(VENV))),)
$(error VENV='$(VENV)' is not a usable virtual-environment directory; use e.g. VENV=.venv)
endif

VENV_PYTHON := $(VENV)/bin/python
PIP := $(VENV_PYTHON) -m pip
PIP_INSTALL := $(PIP) install --no-input -c constraints.txt

# The one test command (README.md and .ci/run refer to it through `make test`).
TEST_CMD := $(VENV_PYTHON) -m pytest -m "not slow"

VENV_STAMP := $(VENV)/.mlkit-venv
INSTALL_STAMP := $(VENV)/.mlkit-install
DEV_STAMP := $(VENV)/.mlkit-install-dev
BENCH_STAMP := $(VENV)/.mlkit-install-bench

# Prints the venv key: a hash of what decides the installation (pyproject.toml's [build-system]
# and [project] tables, so that editing tool settings such as [tool.pytest] does not re-create
# the venv; the whole file where tomllib is missing) and constraints.txt, then the Python
# version. Exported, so that the recipe below can run it as "$$VENV_KEY_PY".
define VENV_KEY_PY
import hashlib, json, sys
data = open("pyproject.toml", "rb").read()
try:
    import tomllib
    table = tomllib.loads(data.decode("utf-8"))
    data = json.dumps([table.get("build-system"), table.get("project")], sort_keys=True).encode()
except Exception:
    pass
digest = hashlib.sha256(data + b"\0" + open("constraints.txt", "rb").read()).hexdigest()[:16]
print("%s-py%d.%d" % (digest, *sys.version_info[:2]))
endef
export VENV_KEY_PY

.DEFAULT_GOAL := help
.PHONY: help venv install install-dev install-bench demo test test-slow bench lint clean FORCE

help:
	@echo "make demo         create $(VENV), install mlkit, train + evaluate the TF-IDF model on GoEmotions"
	@echo "make test         install the dev extras, run the default test suite: pytest -m \"not slow\""
	@echo "make test-slow    run the slow tests (full datasets): pytest -m slow"
	@echo "make bench        install the bench extras, run benchmarks/bench_estimators.py"
	@echo "make lint         ruff check"
	@echo "make venv | install | install-dev | install-bench"
	@echo "make clean        remove $(VENV), build outputs and caches"
	@echo "Variables: PYTHON=$(PYTHON) VENV=$(VENV) PYTEST_ARGS= DEMO_ARGS= BENCH_ARGS="

# Runs on every invocation (FORCE) but writes the stamp only when the venv is (re)made or
# adopted, so the install stamps below are redone only then.
$(VENV_STAMP): FORCE
	@key=$$($(PYTHON) -c "$$VENV_KEY_PY") || { \
	  echo "error: cannot compute the venv key with PYTHON=$(PYTHON); install Python >= 3.10" \
	       "or pass PYTHON=/path/to/python3, and run make from the repository root" >&2; \
	  exit 1; \
	}; \
	tag=$${key##*-}; \
	if [ -f '$@' ] && [ "$$(cat '$@')" = "$$key" ]; then exit 0; fi; \
	if [ -f '$@' ]; then \
	  echo "pyproject.toml ([build-system]/[project]), constraints.txt or the Python version changed: re-creating $(VENV)"; \
	  rm -rf '$(VENV)'; \
	elif [ -e '$(VENV)' ] || [ -L '$(VENV)' ]; then \
	  have=$$('$(VENV_PYTHON)' -c 'import sys; print("py%d.%d" % sys.version_info[:2])' 2>/dev/null || true); \
	  if [ "$$have" = "$$tag" ]; then \
	    echo "reusing existing $(VENV) ($$have); pip will bring it in line with constraints.txt"; \
	  else \
	    echo "$(VENV) exists but its Python is '$${have:-not runnable}', expected $$tag: re-creating it"; \
	    rm -rf '$(VENV)'; \
	  fi; \
	fi; \
	if [ ! -e '$(VENV)' ] && [ ! -L '$(VENV)' ]; then \
	  echo "$(PYTHON) -m venv $(VENV)"; \
	  $(PYTHON) -m venv '$(VENV)' || exit 1; \
	fi; \
	rm -f '$(INSTALL_STAMP)' '$(DEV_STAMP)' '$(BENCH_STAMP)'; \
	echo "$$key" > '$@'

venv: $(VENV_STAMP)

$(INSTALL_STAMP): $(VENV_STAMP)
	$(PIP_INSTALL) -e .
	@touch '$@'

$(DEV_STAMP): $(VENV_STAMP)
	$(PIP_INSTALL) -e ".[dev]"
	@touch '$(INSTALL_STAMP)' '$@'

$(BENCH_STAMP): $(VENV_STAMP)
	$(PIP_INSTALL) -e ".[dev,bench]"
	@touch '$(INSTALL_STAMP)' '$(DEV_STAMP)' '$@'

install: $(INSTALL_STAMP)
install-dev: $(DEV_STAMP)
install-bench: $(BENCH_STAMP)

demo: install
	$(VENV_PYTHON) -m mlkit demo $(DEMO_ARGS)

test: install-dev
	$(TEST_CMD) $(PYTEST_ARGS)

test-slow: install-dev
	$(VENV_PYTHON) -m pytest -m slow $(PYTEST_ARGS)

bench: install-bench
	$(VENV_PYTHON) benchmarks/bench_estimators.py $(BENCH_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .

clean:
	rm -rf '$(VENV)' build dist *.egg-info .pytest_cache .ruff_cache
	find . -path './.git' -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

FORCE:
