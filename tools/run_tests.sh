#!/usr/bin/env bash
# Runs the test suite; pytest's exit 5 (no tests collected) is a failure here, never a pass.
set -uo pipefail
cd "$(dirname "$0")/.."
export STUDIO_RUN_SLOW=1  # the whole suite, slow tier included (tests/conftest.py)
unset PYTHONDONTWRITEBYTECODE  # byte-code is cached beside the venv, never in the tree
export GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPYCACHEPREFIX="$PWD/.venv/pycache"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
rc=$?
if [ "$rc" = 5 ]; then echo "no tests were collected" >&2; exit 1; fi
exit $rc
