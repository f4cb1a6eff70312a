"""Estimator discovery and small helpers."""

from ._discovery import all_estimators

__all__ = ["all_estimators"]
