"""What is pasted into Open WebUI: the modules that `owui-router build` inlines into functions/router_filter.py.

Nothing here may import outside the standard library, pydantic and this subpackage.
"""
