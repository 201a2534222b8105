"""owui-router-filter: automatic model routing for Open WebUI in front of a LiteLLM proxy."""

from .function.router import ROUTES, Decision, Route, decide
from .function.valves import RouterUserValves, RouterValves

__version__ = "0.1.0"
__all__ = ["ROUTES", "Decision", "Route", "RouterUserValves", "RouterValves", "decide", "__version__"]
