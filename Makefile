# One virtual environment in .venv serves every target; each target sets it up when needed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench notebooks student site clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.demo: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[demo]'
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0   # first and exact: the CPU build on disk, never a CUDA download
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.demo $(VENV)/.teacher

$(VENV)/.teacher: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[teacher]'
	touch $@

## demo: set up and run the main job (micrograd's moons demo, batched)
demo: $(VENV)/.demo
	$(BIN)/python -m tensorgrad.demo

## test: set up and run the whole suite (engine vs PyTorch, nn, viz, widgets, notebooks, browser)
test: $(VENV)/.test
	$(BIN)/python -m pytest

## bench: print the benchmark tables and rewrite bench/README.md
bench: $(VENV)/.test
	$(BIN)/python -m bench

## notebooks: re-execute every notebook in place to refresh stored outputs
notebooks: $(VENV)/.test
	$(BIN)/python scripts/run_notebooks.py

## student: write the student notebooks to student/ (answers replaced by stubs, outputs cleared)
student: $(VENV)/.teacher
	$(BIN)/python scripts/make_student.py

## site: build the zero-install course site in _site/ (JupyterLite + Voici apps; build tools in .venv-site/,
## downloads cached in .site-cache/). PYODIDE_PACKAGES=DIR takes Pyodide's wheels from a folder instead.
site: $(VENV)/.teacher
	$(BIN)/python scripts/make_student.py
	$(BIN)/python scripts/build_site.py $(if $(PYODIDE_PACKAGES),--pyodide-packages $(PYODIDE_PACKAGES))

## autograder: the Gradescope autograder for one notebook: make autograder NOTEBOOK=02_tracing_the_graph
## writes autograder/NOTEBOOK.zip (setup.sh, run_autograder, the exercises' titles and points, this package)
.PHONY: autograder
autograder: $(VENV)/.teacher
	$(if $(NOTEBOOK),,$(error give the notebook: make autograder NOTEBOOK=02_tracing_the_graph))
	$(BIN)/python -m tensorgrad.grade.autograder notebooks/$(NOTEBOOK).ipynb autograder/$(NOTEBOOK).zip

clean:
	rm -rf $(VENV) build *.egg-info student _site .venv-site autograder
