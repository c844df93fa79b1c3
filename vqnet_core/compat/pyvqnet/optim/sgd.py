"""pyvqnet's ``optim.sgd``."""

from ._base import SGD  # noqa: F401
