"""kernel_ridge."""

__all__ = []
