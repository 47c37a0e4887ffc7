"""The size limits every entry point checks and every help text quotes: one constant per limit.

Kept import-free so command-line help, job-file validation and the run-time checks read the same
numbers without loading any model. :func:`check_int` is the one integer-in-range check they all use.
"""

from numbers import Integral

MAX_BARS = 64  # the music generator's length limit (MusicPipeline)
MAX_PIECES = 16  # pieces per generator call (MusicPipeline's batch)
MAX_CANDIDATES = MAX_PIECES  # the composing loop's candidates per round: one generator call
MAX_ROUNDS = 10  # composing-loop rounds
MIN_SIZE, MAX_SIZE = 64, 2048  # painting edge in pixels
MAX_ART_CANDIDATES = 16  # paintings judged per paint() call
MAX_STEPS = 200  # diffusion sampling steps (paint(backend="diffusers"))
MAX_TRANSFORM_BARS = 1500  # the longest MIDI transform() accepts, in bars


def check_int(name: str, value, lo: int, hi: int, unit: str = "") -> int:
    """``value`` as an ``int`` in ``[lo, hi]``: ``TypeError`` when it is not an integer (``True`` is not),
    ``ValueError`` when it is out of range; both messages name the accepted range (``unit``, e.g. " pixels",
    follows it)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer in [{lo}, {hi}]{unit}, got {value!r}")
    if not lo <= int(value) <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}]{unit}, got {int(value)}")
    return int(value)
