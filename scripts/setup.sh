#!/usr/bin/env bash
# Creates ./.venv once and installs worldmind into it. Re-running reuses the environment and
# reinstalls only when pyproject.toml changed. torch is installed first, pinned to the tested
# version (pyproject.toml accepts a range, which it satisfies), so that no dependency can pull a
# multi-GB CUDA build onto a CPU machine.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
extras=${WORLDMIND_EXTRAS:-dev,llm,hf,text,video}
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=.venv/.worldmind-install-stamp
want="$(sha256sum pyproject.toml | cut -d' ' -f1) [$extras]"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
    echo "$want" > "$stamp"
fi
