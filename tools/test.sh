#!/usr/bin/env bash
# Set everything up, check lint (ruff) and types (mypy), then run the
# whole test suite.
#   ./tools/test.sh            # everything
#   ./tools/test.sh -k config  # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/bootstrap.sh
# Lint and types first: a failure here stops the run (pyproject.toml
# configures both).
.venv/bin/ruff check .
.venv/bin/mypy
./tools/services.sh
exec .venv/bin/pytest "$@"
