# Developer commands of the dunning_scenario addon; README.md explains them.
# PYTHON names the interpreter to start from (make test PYTHON=/usr/bin/python3). Every
# command runs in the virtual environment VENV (default .venv) that scripts/setup.sh
# makes from it, or in PYTHON itself when it is a virtual environment with Odoo 18.0.
PYTHON ?= python3
VENV ?= $(CURDIR)/.venv
export PYTHON VENV

.DEFAULT_GOAL := help
.PHONY: help demo test setup lint clean bench

help:
	@echo "make demo   install what is missing, then serve the addon with demo data on http://localhost:8069"
	@echo "make test   install what is missing, then install/uninstall checks and the test suite"
	@echo "make setup  only install what is missing and write var/odoo.conf"
	@echo "make lint   pre-commit run --all-files (ruff, pylint-odoo, prettier)"
	@echo "make bench  time the daily run against OCA credit control on generated ledgers (BENCH_SIZES=10000)"
	@echo "make clean  drop the test databases and the cached base database"

demo:
	@scripts/demo.sh

# Extra pytest arguments: make test PYTEST_ARGS="-k test_cron"
test:
	@scripts/test.sh $(PYTEST_ARGS)

# Sizes in invoices, comma-separated; more options: make bench BENCH_ARGS="--help"
BENCH_SIZES ?= 10000
bench:
	@scripts/setup.sh
	$(PYTHON) bench/bench_dunning.py --sizes $(BENCH_SIZES) $(BENCH_ARGS)

setup:
	@scripts/setup.sh

lint:
	@bash -c 'source scripts/setup.sh && setup_lint && venv_python -m pre_commit run --all-files --show-diff-on-failure'

clean:
	@bash -c 'source scripts/setup.sh && t=$${TEST_DB:-dunning_test} && for db in $$t $${t}_uninstall $${BASE_DB:-dunning_base_18}; do db_drop $$db; done'
	rm -rf var/log var/schema-*.txt
