"""grassmann."""

__all__ = []
