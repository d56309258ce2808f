#!/usr/bin/env bash
# Peer benchmark: the Python k-anonymity tools anjana (1.2.3) and anonypy (0.2.1) on ARX's
# Adult data (8 QIs, k=5/1% plus k=5/0% and k=10/1%), timing and discernibility (DM),
# next to the exact optima of tests/data/adult/OPTIMA.md. Prints one JSON line per run.
# Needs python3 (3.10+) and PyPI; the venv lives in target/peers-venv.
#   scripts/bench-peers.sh [--quick] [--repeat N] [--tools anjana,anonypy]
set -euo pipefail
cd "$(dirname "$0")/.."
data=tests/data/adult
if [ ! -f "$data/adult.csv" ]; then
  echo "bench-peers: $data/adult.csv is missing (it is part of the repository)" >&2
  exit 1
fi
venv=target/peers-venv
py=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r bench/peers/requirements.txt
"$venv/bin/python" bench/peers/peers.py --data "$data" "$@"
