# Shared by scripts/demo and scripts/test: create or update .venv/ at the project root.
# Usage: . scripts/_venv.sh [EXTRAS]   (EXTRAS e.g. "test")
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV" >&2
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
fi
spec="$ROOT"
[ -n "${1:-}" ] && spec="$ROOT[$1]"
# Reinstall only when the project's metadata changed since the last install.
stamp="$VENV/.dangan-install-${1:-base}"
if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
  echo "[setup] installing dangan${1:+[$1]} into $VENV" >&2
  "$VENV/bin/python" -m pip install --quiet -e "$spec" >&2
  touch "$stamp"
fi
export PATH="$VENV/bin:$PATH"
