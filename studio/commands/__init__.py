"""CLI verbs, one module each (see studio/cli.py)."""
