"""Fengshou (丰收): the consumption-assistance marketplace application."""

import sys

# httpx imports its command line whenever click, rich and pygments are installed (typer brings
# them): some 4 MB of modules in every process, used by none of ours. httpx expects that import
# to fail without them (it then has no `httpx` command); a None entry makes it fail.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
