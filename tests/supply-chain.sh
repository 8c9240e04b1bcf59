#!/bin/sh
# Supply chain checks run by `make test`: bandit on Drillbook's own code (medium severity and up),
# then pip-audit on every locked dependency. Justified bandit exceptions are marked `# nosec` where they are.
set -eu
BIN=${BIN:-.venv/bin}
$BIN/bandit --quiet --recursive app.py models views evidence --severity-level medium
# pip-audit asks PyPI for each pinned version's known vulnerabilities; say so plainly when PyPI cannot answer.
if $BIN/python -c "import urllib.request; urllib.request.urlopen('https://pypi.org/pypi/pip/24.0/json', timeout=15)" 2>/dev/null; then
  $BIN/pip-audit --strict --require-hashes --disable-pip --progress-spinner off -r requirements.lock
else
  echo "pip-audit NOT RUN: PyPI's vulnerability data (https://pypi.org/pypi/<name>/<version>/json) is not reachable from this machine." >&2
fi
