"""A lead sheet as MusicXML (melody with chord symbols), through music21."""

from __future__ import annotations

from typing import Any

# music21 chord-symbol kinds for the studio's chord qualities
_KINDS = {
    "maj": "major", "min": "minor", "dim": "diminished", "aug": "augmented", "7": "dominant-seventh",
    "maj7": "major-seventh", "min7": "minor-seventh", "sus4": "suspended-fourth",
}  # fmt: skip


def lead_sheet_musicxml(sheet: dict[str, Any], tempo: float = 120.0) -> bytes:
    """MusicXML bytes of ``sheet`` (``LeadSheetPipeline``'s ``lead_sheet``): one staff, 4/4, chords above.

    Args:
        sheet: dict with ``key`` ("D minor"), ``chords`` (bar, beat, name, roman) and ``melody``
            (``[start beat, duration in beats, MIDI pitch]`` from the piece's start).
        tempo: BPM of the first phrase.
    """
    import music21 as m21

    part = m21.stream.Part()
    tonic, mode = sheet["key"].split()
    part.insert(0, m21.meter.TimeSignature("4/4"))
    part.insert(0, m21.key.Key(tonic, mode))
    part.insert(0, m21.tempo.MetronomeMark(number=round(float(tempo), 1)))
    end = 0.0
    for start, dur, pitch in sheet["melody"]:
        if start > end:
            part.insert(end, m21.note.Rest(quarterLength=start - end))
        n = m21.note.Note(int(pitch))
        n.quarterLength = max(float(dur), 0.25)
        part.insert(float(start), n)
        end = float(start) + n.quarterLength
    for c in sheet["chords"]:
        root, q = c["name"].split(":")
        cs = m21.harmony.ChordSymbol(root=root.replace("b", "-"), kind=_KINDS[q])
        cs.writeAsChord = False
        part.insert((c["bar"] - 1) * 4.0 + (c["beat"] - 1), cs)
    score = m21.stream.Score()
    score.insert(0, m21.metadata.Metadata(title=f"Lead sheet in {sheet['key']}, form {sheet.get('form', '')}"))
    score.insert(0, part)
    made = score.makeNotation()
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    return GeneralObjectExporter(made).parse()
