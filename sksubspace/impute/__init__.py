"""impute."""

__all__ = []
