#!/usr/bin/env python3
"""Install the router filter into Open WebUI from a plain clone (no `pip install` needed).

    OWUI_API_KEY=sk-... python3 scripts/install-router.py install [--global] [--set key=value] ...
    OWUI_API_KEY=sk-... python3 scripts/install-router.py uninstall

Needs only `requests` and `pydantic`. Same options as `owui-router install` (see --help and
docs/install.md). Without a subcommand it runs `install`.
"""
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
sys.path.insert(0, str(SRC))

try:
    from owui_router_filter.tools.install import main
except ImportError as exc:  # requests or pydantic missing
    print(f"install-router: error: {exc}; run: python3 -m pip install requests pydantic", file=sys.stderr)
    sys.exit(1)

if __name__ == "__main__":
    argv = sys.argv[1:]
    if not argv or argv[0] not in ("install", "uninstall", "-h", "--help"):
        argv = ["install", *argv]
    sys.exit(main(argv))
