"""``MusicResult``: a generated (or re-aimed, or composed) piece with everything needed to explain it."""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _plain(x: Any) -> Any:
    """JSON-ready form of attributes / readings / emotions (dataclass, dict or None)."""
    if x is None:
        return None
    if hasattr(x, "to_dict"):
        return x.to_dict()
    if dataclasses.is_dataclass(x):
        return dataclasses.asdict(x)
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


def check_program(program: Any) -> int | None:
    """``program`` as a General MIDI program number (0-127), or None for "as generated"."""
    if program is None:
        return None
    if isinstance(program, bool) or not isinstance(program, int) or not 0 <= program <= 127:
        raise ValueError(f"program must be a General MIDI program number in [0, 127] or None, got {program!r}")
    return program


def set_program(score: Any, program: int | None) -> str | None:
    """Play every pitched track of ``score`` (a ``symusic.Score``) on GM ``program``; drums are kept.

    Generator-agnostic: it rewrites the finished score, so any generator's piece is heard on the
    instrument asked for. ``None`` leaves the piece as generated.

    Returns:
        a note for the result's ``notes`` (None when nothing was asked).

    Raises:
        ValueError: ``program`` is not an integer in [0, 127].
    """
    if check_program(program) is None:
        return None
    tracks = [t for t in score.tracks if not t.is_drum]
    for t in tracks:
        t.program = program
    return f"{len(tracks)} pitched track(s) set to General MIDI program {program}"


@dataclass
class MusicResult:
    """A piece of music and its record.

    Args:
        score: the piece, ``symusic.Score``.
        emotion: the ``Emotion`` asked for (or None when only attributes were given).
        attributes_requested: ``MusicAttributes`` (or dict) the generator was conditioned on.
        attributes_measured: ``MusicAttributes`` measured from ``score`` (or None).
        seed: the seed used (recorded even when drawn at random).
        bars: number of 4/4 bars.
        model: model name and version, e.g. ``"music-gen 0.1.0"``.
        notes: clamps and warnings, readable sentences.
        reading: critic ``Reading`` or None.
        rounds: loop history (``studio.compose``), empty for one-shot generation.
        extra: anything else worth recording (sampling settings, timings).
        reading_before: for a re-aimed piece (``studio.transform``), the critic's reading of the
            source, so the change can be shown beside ``reading``; None otherwise.
        lead_sheet: the lead sheet the piece was arranged from (key, form, phrases, chords, melody), or
            None; ``save`` writes it as MusicXML and its chords into the sidecar.
    """

    score: Any
    emotion: Any
    attributes_requested: Any
    attributes_measured: Any
    seed: int
    bars: int
    model: str
    notes: list[str] = field(default_factory=list)
    reading: Any = None
    rounds: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    reading_before: Any = None
    lead_sheet: dict | None = None

    def midi_bytes(self) -> bytes:
        """The piece as a Standard MIDI File."""
        return bytes(self.score.dumps_midi())

    def to_dict(self) -> dict:
        """The JSON sidecar's content."""
        emo = None
        if self.emotion is not None:
            emo = dict(zip(("valence", "arousal", "dominance"), (round(v, 4) for v in self.emotion.vad)))
            if getattr(self.emotion, "label", None):
                emo["label"] = self.emotion.label
        return {
            "emotion": emo,
            "attributes_requested": _plain(self.attributes_requested),
            "attributes_measured": _plain(self.attributes_measured),
            "seed": self.seed,
            "bars": self.bars,
            "model": self.model,
            "notes": list(self.notes),
            "reading": _plain(self.reading),
            "rounds": _plain(self.rounds),
            **({"extra": _plain(self.extra)} if self.extra else {}),
            **({"reading_before": _plain(self.reading_before)} if self.reading_before is not None else {}),
            **({"lead_sheet": {k: v for k, v in self.lead_sheet.items() if k != "melody"}} if self.lead_sheet else {}),
        }

    def save(self, directory: str | os.PathLike, stem: str = "music", audio: bool = True) -> dict[str, Path]:
        """Write ``STEM.mid``, ``.wav``, ``.png`` (when ``studio.render`` works), ``.musicxml`` (lead sheet) and ``.json``.

        Every file is written atomically; the sidecar goes last, so its presence means the set is
        complete. A rendering failure (e.g. no SoundFont on this machine) is recorded in the sidecar's
        notes instead of failing the save.

        Args:
            directory: output folder (created).
            stem: file name stem (letters, digits, ``._-``).
            audio: also render ``.wav`` (the slowest part).

        Returns:
            ``{"mid": path, "wav": path, "png": path, "musicxml": path, "json": path}`` for the files
            written (``musicxml``: the lead sheet, when the generator wrote one).
        """
        from studio.io import atomic_path, write_json_atomic

        if not isinstance(stem, str) or not _STEM.match(stem):
            raise ValueError(f"stem must be 1-64 characters of letters, digits, '.', '_' or '-', got {stem!r}")
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        with atomic_path(out / f"{stem}.mid") as tmp:
            self.score.dump_midi(str(tmp))
        paths["mid"] = out / f"{stem}.mid"
        render_notes = []
        from studio import render

        if audio:
            try:
                render.render_to_file(self.score, out / f"{stem}.wav")
                paths["wav"] = out / f"{stem}.wav"
            except Exception as e:  # rendering is a convenience; the MIDI is the product
                render_notes.append(f"no audio: {type(e).__name__}: {e}")
        try:
            render.piano_roll_png(self.score, out / f"{stem}.png", title=self.model, emotion=self.emotion)
            paths["png"] = out / f"{stem}.png"
        except Exception as e:
            render_notes.append(f"no piano roll: {type(e).__name__}: {e}")
        if self.lead_sheet:
            try:
                from studio.music.structured.musicxml import lead_sheet_musicxml

                data = lead_sheet_musicxml(self.lead_sheet, tempo=_first_tempo(self.score))
                with atomic_path(out / f"{stem}.musicxml") as tmp:
                    tmp.write_bytes(data)
                paths["musicxml"] = out / f"{stem}.musicxml"
            except Exception as e:  # the MIDI is the product; the score view is a convenience
                render_notes.append(f"no lead-sheet MusicXML: {type(e).__name__}: {e}")
        d = self.to_dict()
        d["notes"] = d["notes"] + render_notes
        d["files"] = {k: p.name for k, p in paths.items()}
        paths["json"] = write_json_atomic(out / f"{stem}.json", d)
        return paths


def _first_tempo(score: Any) -> float:
    return float(score.tempos[0].qpm) if len(score.tempos) else 120.0
