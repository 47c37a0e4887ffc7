"""Fuzz suite hooks: one torch thread, figures at the end, fail over the peak-memory bar (see fuzzlib)."""

from __future__ import annotations

import json
import os
import sys

import pytest
from fuzzlib import FIGURES, LONG, MAX_RSS_MB, peak_rss_mb


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    report = {"examples_per_family": LONG or "fast slice", "peak_rss_mb": round(peak_rss_mb(), 1)}
    report["targets"] = dict(FIGURES)
    report["total_calls"] = sum(f["calls"] for f in FIGURES.values())
    report["other_exceptions"] = sum(f["other"] for f in FIGURES.values())
    terminalreporter.write_line("fuzz figures: " + json.dumps(report))
    path = os.environ.get("STUDIO_FUZZ_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump(report, f, indent=2)


def pytest_sessionfinish(session, exitstatus):
    if FIGURES and peak_rss_mb() > MAX_RSS_MB:
        print(f"fuzz: peak RSS {peak_rss_mb():.0f} MB is over {MAX_RSS_MB:.0f} MB", file=sys.stderr)
        session.exitstatus = 1
