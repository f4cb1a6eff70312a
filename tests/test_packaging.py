"""What the wheel declares: dependency floors, the scikit-learn range, license, contents."""

import ast
import configparser
import re
import sys
from pathlib import Path

import pytest
import sklearn

import sksubspace
from sksubspace._min_dependencies import (
    MIN_VERSIONS,
    SKLEARN_TESTED_MAX,
    check_sklearn_version,
    minor_version,
)

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sksubspace"
# import name -> distribution name, for the runtime dependencies
DISTRIBUTIONS = {"sklearn": "scikit-learn", "array_api_compat": "array-api-compat"}
OPTIONAL = {"cupy", "cupyx", "dask", "distributed"}  # extras, imported lazily


def _install_requires():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    reqs = {}
    for line in cfg["options"]["install_requires"].strip().splitlines():
        name, floor = re.match(r"([A-Za-z0-9_.\-]+)\s*>=\s*([0-9.]+)", line.strip()).groups()
        reqs[name] = floor
    return cfg, reqs


def _module_level_imports(path):
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_setup_cfg_floors_are_the_tested_floors():
    _, reqs = _install_requires()
    assert reqs == MIN_VERSIONS


def test_every_runtime_import_is_declared():
    _, reqs = _install_requires()
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    used = set()
    for path in PACKAGE.rglob("*.py"):
        for name in _module_level_imports(path):
            top = name.split(".")[0]
            if top not in stdlib and top not in OPTIONAL and top != "sksubspace":
                used.add(DISTRIBUTIONS.get(top, top))
    assert used <= set(reqs), used - set(reqs)


def test_scikit_learn_private_api_only_in_compat_module():
    private = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "_sklearn_compat.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sklearn"):
                names = [a.name for a in node.names if a.name.startswith("_")]
                if names or "._" in node.module:
                    private.append((path.name, node.module, names))
    assert not private


def test_installed_scikit_learn_within_tested_range():
    found = minor_version(sklearn.__version__)
    assert minor_version(MIN_VERSIONS["scikit-learn"]) <= found <= SKLEARN_TESTED_MAX, (
        f"scikit-learn {sklearn.__version__} is outside the tested range: run the suite "
        "and raise SKLEARN_TESTED_MAX in sksubspace/_min_dependencies.py"
    )


def test_old_scikit_learn_gets_a_clear_message():
    with pytest.raises(
        ImportError, match=r"sksubspace needs scikit-learn >= 1\.6 \(found 1\.5\.2\)"
    ):
        check_sklearn_version("1.5.2")
    assert check_sklearn_version("1.6.0") == "1.6.0"
    assert check_sklearn_version("1.10.0rc1") == "1.10.0rc1"


def test_license_shipped_and_conftest_outside_the_package():
    cfg, _ = _install_requires()
    assert cfg["metadata"]["license"] == "BSD-3-Clause"
    assert cfg["metadata"]["license_files"].split() == ["LICENSE"]
    assert "BSD 3-Clause License" in (ROOT / "LICENSE").read_text()
    assert not list(PACKAGE.rglob("conftest.py"))
    assert Path(sksubspace.__file__).parent == PACKAGE
