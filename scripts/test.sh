#!/usr/bin/env bash
# Sets up everything the suite needs, then runs lint, import contracts, mypy and the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/services.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports  # import contracts: [tool.importlinter] in pyproject.toml
.venv/bin/mypy routing agents app/grading app/metrics app/simulation ivr  # the pure core, strict: [tool.mypy]
exec .venv/bin/pytest -q -p no:cacheprovider "$@"
