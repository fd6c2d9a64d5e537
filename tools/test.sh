#!/usr/bin/env bash
# Set everything up and run the whole test suite.
#   ./tools/test.sh            # everything
#   ./tools/test.sh -k config  # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/bootstrap.sh
./tools/services.sh
exec .venv/bin/pytest "$@"
