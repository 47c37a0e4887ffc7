"""The size limits every entry point checks and every help text quotes: one constant per limit.

Kept import-free so command-line help, job-file validation and the run-time checks read the same
numbers without loading any model.
"""

MAX_BARS = 64  # the music generator's length limit (MusicPipeline)
MAX_PIECES = 16  # pieces per generator call (MusicPipeline's batch)
MAX_CANDIDATES = MAX_PIECES  # the composing loop's candidates per round: one generator call
MAX_ROUNDS = 10  # composing-loop rounds
MIN_SIZE, MAX_SIZE = 64, 2048  # painting edge in pixels
MAX_ART_CANDIDATES = 16  # paintings judged per paint() call
MAX_STEPS = 200  # diffusion sampling steps (paint(backend="diffusers"))
MAX_TRANSFORM_BARS = 1500  # the longest MIDI transform() accepts, in bars
