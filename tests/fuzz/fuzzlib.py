"""Fuzz harness (imported by the fuzz tests and their conftest): every call ends in one of two outcomes, a result or a one-line ``StudioError``.

A fast slice runs in the normal suite. ``make fuzz`` sets ``STUDIO_FUZZ_EXAMPLES`` (examples per
family: MIDI, images, emotion/text/job inputs) for the long run; each call has a 30 s hang guard
(``STUDIO_FUZZ_HANG_SECONDS``) and the run fails if peak RSS passes ``STUDIO_FUZZ_MAX_RSS_MB`` (1536).
Figures (calls, results, StudioErrors, other exceptions, slowest call, peak RSS) are printed at the
end and written to ``$STUDIO_FUZZ_REPORT`` when set.
"""

from __future__ import annotations

import faulthandler
import os
import resource
import signal
import time
from collections import defaultdict

from hypothesis import HealthCheck, settings

LONG = int(os.environ.get("STUDIO_FUZZ_EXAMPLES", "0"))
HANG_SECONDS = float(os.environ.get("STUDIO_FUZZ_HANG_SECONDS", "30"))
MAX_RSS_MB = float(os.environ.get("STUDIO_FUZZ_MAX_RSS_MB", "1536"))
FIGURES: dict[str, dict] = defaultdict(lambda: {"calls": 0, "results": 0, "studio_errors": 0, "other": 0, "max_s": 0.0})


def examples(fast: int, share: float = 1.0) -> settings:
    """Hypothesis settings: ``fast`` examples in the normal suite, ``share`` of the family's
    ``STUDIO_FUZZ_EXAMPLES`` in the long run."""
    n = max(1, int(LONG * share)) if LONG else fast
    return settings(
        max_examples=n,
        deadline=None,  # the hang guard below is the time limit
        database=None,  # nothing written into the checkout
        derandomize=not LONG,  # the fast slice is the same every run; the long run explores
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"a call ran over {HANG_SECONDS:g} s")


def outcome(target: str, fn, *args, **kwargs):
    """Call ``fn``; return ``("result", value)`` or ``("error", StudioError)``. Anything else -- another
    exception, a multi-line message, a hang -- fails the test (Hypothesis then shrinks the input)."""
    from studio.errors import StudioError

    fig = FIGURES[target]
    fig["calls"] += 1
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    faulthandler.dump_traceback_later(HANG_SECONDS + 30, exit=True)  # a hang inside C code
    t0 = time.perf_counter()
    try:
        value = fn(*args, **kwargs)
    except StudioError as e:
        fig["studio_errors"] += 1
        msg = str(e)
        assert msg and "\n" not in msg and "\x1b" not in msg, f"not a one-line message: {msg!r}"
        return "error", e
    except BaseException:
        fig["other"] += 1
        raise
    else:
        fig["results"] += 1
        return "result", value
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        faulthandler.cancel_dump_traceback_later()
        fig["max_s"] = max(fig["max_s"], round(time.perf_counter() - t0, 3))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
