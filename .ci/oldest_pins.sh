#!/usr/bin/env bash
# CI job: the oldest supported dependency pins, in their own virtual environment.
#
# Installs exactly the floors of sksubspace/_min_dependencies.py (the ones setup.cfg
# declares), builds the wheel and checks what it ships, then runs a smoke subset: the
# packaging tests and a fit / predict / pickle of every estimator. A few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${OLDEST_VENV:-.venv-oldest}"

pins=$("$PYTHON" - <<'PY'
ns = {}
exec(open("sksubspace/_min_dependencies.py").read(), ns)
print(" ".join(f"{name}=={floor}.*" for name, floor in ns["MIN_VERSIONS"].items()))
PY
)
echo "[oldest pins] $pins"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q $pins "pytest>=8"

# The wheel: LICENSE in its metadata, no conftest.py, threadpoolctl declared.
rm -rf "$VENV/dist"
"$VENV/bin/python" -m pip wheel -q --no-deps -w "$VENV/dist" .
rm -rf build sksubspace.egg-info  # setuptools' scratch (git-ignored)
"$VENV/bin/python" - "$VENV"/dist/sksubspace-*.whl <<'PY'
import sys
import zipfile

names = zipfile.ZipFile(sys.argv[1]).namelist()
meta = zipfile.ZipFile(sys.argv[1]).read(next(n for n in names if n.endswith("METADATA"))).decode()
assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names), names
assert not [n for n in names if n.endswith("conftest.py")], "conftest.py in the wheel"
assert "Requires-Dist: threadpoolctl" in meta and "array-api-compat>=1.12" in meta, meta
print(f"[oldest pins] wheel ok: {len(names)} files")
PY
"$VENV/bin/python" -m pip install -q --no-deps "$VENV"/dist/sksubspace-*.whl

# Smoke subset against the oldest pins (the source tree, as the rest of CI).
MPLBACKEND=Agg OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$VENV/bin/python" -m pytest \
    -p no:cacheprovider -o addopts="" -q tests/test_packaging.py tests/test_common.py \
    -k "packaging or clone_pickle"
