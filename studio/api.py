"""``studio.create``: one emotion (or an arc) in, a judged piece of music and a judged painting out.

A thin layer over the public verbs (``studio.compose`` for music, ``studio.paint`` for the
painting): it resolves the emotion once, draws one seed, derives a sub-seed for each part so
the two are reproducible independently, and bundles both results with one JSON sidecar.

    >>> import studio
    >>> r = studio.create(emotion="tender", bars=8, seed=7)
    >>> r.save("outputs/tender")  # music.mid/.wav/.png/.json, painting.png/.json, create.json
    >>> r = studio.create(emotion="calm -> furious", bars=8)  # an arc: music follows it, painting at its end
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.emotion import Emotion
from studio.errors import user_errors
from studio.io import write_json_atomic
from studio.limits import MAX_BARS, MAX_CANDIDATES, MAX_ROUNDS, MAX_SIZE, MIN_SIZE, check_int
from studio.loop import DEFAULT_CANDIDATES, DEFAULT_ROUNDS
from studio.progress import ProgressFn
from studio.seeding import derive_seed, resolve_seed

WHAT = ("both", "music", "art")


def configure_threads(n: int | None = None) -> int | None:
    """Set torch's intra-op threads for the surfaces (CLI verbs, UI, batch workers).

    One thread by default: the studio's models are small, and on a shared 2-core host two intra-op
    threads made ``studio demo --emotions tender`` take 101 s instead of 5.9 s. ``STUDIO_TORCH_THREADS``
    overrides; an explicit ``OMP_NUM_THREADS`` is left alone. Returns the count set (None if untouched).
    """
    import os

    env = os.environ.get("STUDIO_TORCH_THREADS")
    if n is None and env is None and "OMP_NUM_THREADS" in os.environ:
        return None
    n = int(n or env or 1)
    import torch

    torch.set_num_threads(n)
    return n


def _reading_dict(reading: Any) -> dict | None:
    if reading is None:
        return None
    return reading.to_dict() if hasattr(reading, "to_dict") else dict(reading)


def _as_dict(x: Any) -> Any:
    if x is None:
        return None
    if hasattr(x, "to_dict"):
        return x.to_dict()
    if hasattr(x, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(x)
    return x


@dataclass
class CreateResult:
    """Music and a painting made for one emotion from one seed.

    Attributes:
        emotion: the resolved target :class:`Emotion`.
        seed: the seed used (drawn at random when none was given); ``music_seed``/``art_seed``
            are derived from it with :func:`derive_seed`.
        music: a ``MusicResult`` (``studio.compose``) or ``None`` when ``what="art"``.
        art: a ``PaintResult`` (``studio.paint``) or ``None`` when ``what="music"``.
        asked: the emotion exactly as it was given (label, tuple, text or arc).
        arc: for an arc, its points as ``[{"bar", "emotion", "label"}, ...]`` (``emotion`` is then the
            last point, the one the painting is made for); ``None`` for one emotion.
        notes: what a reader of the sidecar should know (e.g. which emotion the painting is for).
        timings: seconds spent per part.
    """

    emotion: Emotion
    seed: int
    music: Any = None
    art: Any = None
    asked: Any = None
    music_seed: int | None = None
    art_seed: int | None = None
    settings: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    arc: list | None = None
    notes: list = field(default_factory=list)

    @property
    def readings(self) -> dict[str, Any]:
        """The critics' readings: ``{"music": Reading|None, "art": Reading|None}``."""
        return {
            "music": getattr(self.music, "reading", None),
            "art": getattr(self.art, "reading", None),
        }

    def to_dict(self) -> dict:
        from studio import __version__

        music, art = self.music, self.art
        return {
            "studio_version": __version__,
            "emotion_asked": self.asked
            if isinstance(self.asked, (str, int, float, type(None)))
            else self.arc
            if self.arc is not None and not isinstance(self.asked, str)
            else _as_dict(self.asked),
            "emotion": self.emotion.to_dict(),
            **({"arc": self.arc} if self.arc is not None else {}),
            "seed": self.seed,
            "music_seed": self.music_seed,
            "art_seed": self.art_seed,
            "settings": self.settings,
            "attributes": {
                "music_requested": _as_dict(getattr(music, "attributes_requested", None)),
                "music_measured": _as_dict(getattr(music, "attributes_measured", None)),
                "visual": _as_dict(getattr(art, "attributes", None)),
            },
            "models": {
                "music": getattr(music, "model", None) if music is not None else None,
                "music_critic": getattr(getattr(music, "reading", None), "critic", None),
                "art": getattr(art, "backend", None) or getattr(art, "model", None) if art is not None else None,
                "art_critic": getattr(getattr(art, "reading", None), "critic", None),
            },
            "readings": {k: _reading_dict(v) for k, v in self.readings.items()},
            "rounds": len(getattr(music, "rounds", None) or []) if music is not None else None,
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
            "notes": list(self.notes),
        }

    def save(self, directory: str | Path) -> dict[str, Path]:
        """Write ``music.mid/.wav/.png/.json``, ``painting.png/.json`` and the combined sidecar
        ``create.json`` into ``directory``; every file is written atomically and the sidecar last,
        so its presence means the set is complete.

        Returns:
            ``{file name: path}`` of every file written.
        """
        out = Path(directory)
        if out.exists() and not out.is_dir():
            raise NotADirectoryError(f"{out} exists and is not a folder")
        out.mkdir(parents=True, exist_ok=True)
        files: dict[str, Path] = {}
        for part, stem in ((self.music, "music"), (self.art, "painting")):
            if part is not None:
                files.update({Path(p).name: Path(p) for p in part.save(out, stem=stem).values()})
        d = self.to_dict()
        d["files"] = sorted(files) + ["create.json"]
        files["create.json"] = write_json_atomic(out / "create.json", d)
        return files

    def summary(self) -> str:
        """A few readable lines: target vs the critics' readings."""
        lines = [f"target {self.emotion}  seed {self.seed}"] + [f"  {n}" for n in self.notes]
        for name, r in self.readings.items():
            part = self.music if name == "music" else self.art
            if part is None:
                continue
            if r is None:
                why = next((n for n in getattr(part, "notes", None) or [] if "critic" in n), None)
                lines.append(f"  {name:5s}: no critic reading" + (f" ({why})" if why else ""))
            else:
                lines.append(
                    f"  {name:5s}: read V {r.valence:+.2f} A {r.arousal:+.2f} (distance {r.distance(self.emotion):.2f}, confidence {r.confidence:.2f})"
                )
        return "\n".join(lines)


@user_errors
def create(
    emotion: Any,
    bars: int = 16,
    seed: int | None = None,
    size: int = 512,
    style: str | None = None,
    candidates: int = DEFAULT_CANDIDATES,  # the loop is opt-in (bench/bench_loop.py)
    rounds: int = DEFAULT_ROUNDS,
    what: str = "both",
    max_seconds: float | None = None,
    pipeline: Any = None,
    music_overrides: dict | None = None,
    visual_overrides: dict | None = None,
    art_backend: str = "painter",
    art_candidates: int = 1,
    progress: ProgressFn | None = None,
    temperature: float | None = None,
    program: int | None = None,
) -> CreateResult:
    """Make music and a painting for one emotion, or music that follows an emotion arc.

    Args:
        emotion: a label ("tender"), ``(v, a)``/``(v, a, d)``, a dict, free text or an ``Emotion``;
            or an arc (``"calm -> furious"``, ``["calm", "furious"]``, ``[(1, "calm"), (9, "furious")]``;
            see ``studio.arc``). For an arc the music goes through ``studio.compose``'s arc path (one
            target per 4-bar phrase; ``rounds``/``max_seconds`` do not apply, 8 bars or more make it
            audible) and the painting is made for the arc's LAST point, the emotion it arrives at;
            ``result.emotion`` is that point and a note in ``result.notes``/the sidecar says so.
        bars: length of the piece in bars (1-``MAX_BARS``, studio/limits.py).
        seed: one seed for both parts (``None`` draws one; it is recorded either way).
        size: painting edge in pixels (``MIN_SIZE``-``MAX_SIZE``, studio/limits.py).
        style: painting style passed to ``studio.paint``.
        candidates, rounds: the composing loop's candidates per round (1-``MAX_CANDIDATES``) and number of
            rounds (1-``MAX_ROUNDS``).
        what: ``"both"``, ``"music"`` or ``"art"``.
        max_seconds: the composing loop's time budget (no new round starts after it).
        pipeline: a loaded generator to reuse (default: the released lead-sheet generator).
        music_overrides / visual_overrides: attribute values that replace the mapped targets,
            e.g. ``{"tempo": 90}``.
        art_backend: ``"painter"`` (CPU) or ``"diffusers"``.
        progress: optional ``callback(fraction, message)``.
        temperature: the music generator's sampling temperature (``None``: its default).
        program: General MIDI program (0-127) the piece is played on (``None``: as generated).

    Returns:
        :class:`CreateResult` with ``music`` and/or ``art`` filled.

    Raises:
        ValueError / TypeError: bad arguments, with what is accepted.
    """
    # 1. the request: what to make, the limits, the emotion (or arc), one seed
    _check_request(what, bars=bars, size=size, candidates=candidates, rounds=rounds)
    from studio.arc import is_arc, parse_arc

    arc = parse_arc(emotion) if is_arc(emotion) else None
    target = arc[-1][1] if arc else Emotion.coerce(emotion)
    seed = resolve_seed(seed)
    report = progress or (lambda f, m: None)
    settings = dict(bars=bars, size=size, style=style, candidates=candidates, rounds=rounds, what=what)
    settings |= dict(max_seconds=max_seconds, art_backend=art_backend, temperature=temperature, program=program)
    result = CreateResult(emotion=target, seed=seed, asked=emotion, settings=settings)
    if arc:
        result.arc = [{"bar": b, "emotion": list(e.vad), "label": e.label} for b, e in arc]
        if what in ("both", "art"):
            result.notes.append(f"arc: the painting is made for the arc's last point, {target}")

    # 2. the music (60% of the progress when both are made), from its own sub-seed
    share = 0.6 if what == "both" else 1.0
    if what in ("both", "music"):
        from studio.loop import compose

        result.music_seed = derive_seed(seed, "music")
        report(0.0, "composing")
        t0 = time.perf_counter()
        result.music = compose(
            emotion if arc else target,
            bars=bars,
            seed=result.music_seed,
            candidates=candidates,
            rounds=rounds,
            max_seconds=max_seconds,
            pipeline=pipeline,
            progress=(lambda f, m: report(share * f, f"composing: {m}")) if progress else False,
            temperature=temperature,
            program=program,
            **dict(music_overrides or {}),
        )
        result.timings["music"] = time.perf_counter() - t0

    # 3. the painting, from its own sub-seed
    if what in ("both", "art"):
        from studio.art import paint

        result.art_seed = derive_seed(seed, "art")
        start = 0.6 if what == "both" else 0.0
        report(start, "painting")
        t0 = time.perf_counter()
        result.art = paint(
            target,
            seed=result.art_seed,
            size=size,
            style=style,
            backend=art_backend,
            candidates=art_candidates,
            progress=(lambda f, m: report(start + (1 - start) * f, f"painting: {m}")) if progress else False,
            attributes=dict(visual_overrides) if visual_overrides else None,
        )
        result.timings["art"] = time.perf_counter() - t0
    report(1.0, "done")
    return result


def _check_request(what: str, **ints: Any) -> None:
    """``what`` is one of ``WHAT`` and each integer is within the limits the verbs themselves check."""
    if what not in WHAT:
        raise ValueError(f"what must be one of {WHAT}, got {what!r}")
    limits = {"bars": (1, MAX_BARS), "size": (MIN_SIZE, MAX_SIZE), "candidates": (1, MAX_CANDIDATES)}
    limits["rounds"] = (1, MAX_ROUNDS)
    for name, val in ints.items():
        check_int(name, val, *limits[name])
