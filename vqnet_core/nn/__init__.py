"""Neural-network modules: Module, Parameter, containers, layers, losses, functional."""

from .loss import *  # noqa: F401,F403
from .module import Module, ModuleDict, ModuleList, Parameter, ParameterList, Sequential

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "ParameterList"]
