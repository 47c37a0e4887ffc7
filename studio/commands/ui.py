"""studio ui: launch the Gradio studio (app.py at the project root)."""

from __future__ import annotations

import argparse
import os

HELP = "launch the Gradio studio in the browser"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default: Gradio's, 7860 or the next free)")
    p.add_argument("--concurrency", type=int, default=2, help="requests generated at once")


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import importlib.util

    from studio.paths import PROJECT_ROOT

    path = PROJECT_ROOT / "app.py"
    if not path.is_file():
        raise FileNotFoundError(f"app.py not found at {path}; run from a source checkout")
    spec = importlib.util.spec_from_file_location("studio_app", path)
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    app.launch(host=args.host, port=args.port, concurrency=args.concurrency)
    return 0
