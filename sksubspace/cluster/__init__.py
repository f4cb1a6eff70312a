"""cluster."""

__all__ = []
