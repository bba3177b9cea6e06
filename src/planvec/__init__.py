"""planvec: semantic index of development plans on Qdrant."""

from __future__ import annotations

__version__ = "0.1.0"
