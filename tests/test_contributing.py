"""CONTRIBUTING.md is true against the code: the modules and helpers it names exist."""

import ast
import re
from pathlib import Path

import sksubspace._linalg as linalg

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "CONTRIBUTING.md").read_text()


def test_named_files_exist():
    paths = set(re.findall(r"`((?:sksubspace/|\.ci/|tests/)?[\w./<>-]+\.(?:py|sh|md))", TEXT))
    checked = 0
    for path in paths:
        if "<" in path or "*" in path or "/" not in path:
            continue  # a pattern (sksubspace/<family>/_<name>.py) or a bare file name
        candidates = [ROOT / path, ROOT / "sksubspace" / path]
        assert any(p.exists() for p in candidates), path
        checked += 1
    assert checked >= 10


def test_linalg_bullet_names_functions_of_linalg():
    bullet = TEXT.split("`sksubspace/_linalg.py` holds", 1)[1].split("\n* ", 1)[0]
    names = [n for n in re.findall(r"`(\w+)`", bullet)]
    assert len(names) >= 10
    missing = [n for n in names if not hasattr(linalg, n)]
    assert not missing, missing


# Function-level imports with a reason: optional dependencies, and the modules
# listed here (owned elsewhere; move them to the top when their owner next edits them).
OPTIONAL = {"dask", "cupy", "cupyx", "distributed", "importlib", "matplotlib", "tqdm"}
KNOWN_LAZY = {
    ("_validation.py", ".utils"),  # a cycle: estimator discovery imports every estimator
    # a cycle: the shrinkage path fits SoftImpute; SoftImpute's "auto" runs the path
    ("impute/_soft_impute.py", "._path"),
    ("impute/_base.py", "._path"),
}


def test_imports_at_the_top():
    lazy = []
    for path in (ROOT / "sksubspace").rglob("*.py"):
        rel = path.relative_to(ROOT / "sksubspace").as_posix()
        if rel.startswith("tour/"):
            continue  # the tour is a command: it imports each family when it runs it
        for fn in ast.walk(ast.parse(path.read_text())):
            if not isinstance(fn, ast.FunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom):
                    mod = "." * node.level + (node.module or "")
                elif isinstance(node, ast.Import):
                    mod = node.names[0].name
                else:
                    continue
                # compiled kernels (``*_numba``) load Numba and LLVM (~0.5 s, ~90 MiB) on first use
                compiled = mod.endswith("_numba")
                if (
                    mod.split(".")[0] not in OPTIONAL
                    and (rel, mod) not in KNOWN_LAZY
                    and not compiled
                ):
                    lazy.append((rel, mod))
    assert not lazy, lazy


def test_small_shared_helpers_have_one_copy():
    # the sparse-or-dense products and machine epsilon live in _linalg only
    pattern = re.compile(r"_?(r?matmul|safe_r?matmul|safe_sparse_dot|eps|machine_eps)")
    found = []
    for path in (ROOT / "sksubspace").rglob("*.py"):
        rel = path.relative_to(ROOT / "sksubspace").as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and pattern.fullmatch(node.name):
                found.append((rel, node.name))
    assert sorted(found) == [
        ("_linalg.py", "machine_eps"),
        ("_linalg.py", "safe_matmul"),
        ("_linalg.py", "safe_rmatmul"),
    ]
