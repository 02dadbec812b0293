"""``oss-img``: the command line over core (see :mod:`.main` for the contract)."""
from .main import build_parser, main

__all__ = ["build_parser", "main"]
