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


def _report() -> dict:
    report = {"examples_per_family": LONG or "fast slice", "peak_rss_mb": round(peak_rss_mb(), 1)}
    report["targets"] = dict(FIGURES)
    report["total_calls"] = sum(f["calls"] for f in FIGURES.values())
    report["other_exceptions"] = sum(f["other"] for f in FIGURES.values())
    report["max_call_seconds"] = max((f["max_s"] for f in FIGURES.values()), default=0.0)
    path = os.environ.get("STUDIO_FUZZ_REPORT")
    if path:  # rewritten after every test, so a run cut short still leaves its figures
        with open(path, "w") as f:
            json.dump(report, f, indent=2)
    return report


def pytest_runtest_teardown(item):
    if FIGURES:
        _report()


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.write_line("fuzz figures: " + json.dumps(_report()))


def pytest_sessionfinish(session, exitstatus):
    # the bar holds for the fuzz run on its own (make fuzz); inside the whole suite the process also
    # holds every other test's models, so its peak says nothing about the fuzzed calls
    if LONG and FIGURES and peak_rss_mb() > MAX_RSS_MB:
        print(f"fuzz: peak RSS {peak_rss_mb():.0f} MB is over {MAX_RSS_MB:.0f} MB", file=sys.stderr)
        session.exitstatus = 1
