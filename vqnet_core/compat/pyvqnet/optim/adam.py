"""pyvqnet's ``optim.adam``."""

from ._base import Adam, AdamW  # noqa: F401
