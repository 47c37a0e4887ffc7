"""One progress convention: every verb and generator calls ``progress(fraction, message)``."""

from __future__ import annotations

import pytest

import studio
from studio.progress import Progress


def test_progress_reports_fractions_and_messages_to_a_callback():
    seen = []
    with Progress(lambda f, m: seen.append((f, m)), 4) as bar:
        for i in range(1, 5):
            bar.update(i, f"step {i}")
    assert seen == [(0.25, "step 1"), (0.5, "step 2"), (0.75, "step 3"), (1.0, "step 4")]
    Progress(False, 3).update(1, "nothing shown")  # no bar, no callback: a no-op
    quiet = Progress(None, 0)
    assert quiet.total == 1 and quiet.callback is None and quiet.bar is None


@pytest.mark.parametrize("verb", ["compose", "paint", "generator"])
def test_every_verb_calls_back_with_fraction_and_message(verb):
    seen = []
    cb = lambda f, m: seen.append((f, m))  # noqa: E731
    if verb == "compose":
        studio.compose("tender", bars=2, seed=1, candidates=2, rounds=2, progress=cb)
    elif verb == "paint":
        studio.paint("tender", size=64, seed=1, candidates=2, progress=cb)
    else:
        from studio.music.generators import default_pipeline

        default_pipeline(generator="leadsheet")(attributes={"tempo": 90}, bars=2, seed=1, num_pieces=2, progress=cb)
    assert seen and all(isinstance(f, float) and 0 < f <= 1 and isinstance(m, str) and m for f, m in seen)
    assert seen[-1][0] == 1.0 or verb == "compose"  # the loop may stop early: good enough after round 1
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)
