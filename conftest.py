"""Doctest setup for the package's modules (kept out of the wheel: it lives at the root)."""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _doctest_np(doctest_namespace):
    doctest_namespace["np"] = np
