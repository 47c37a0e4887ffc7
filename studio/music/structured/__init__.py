"""Structure-first generation: emotion attributes -> lead sheet (form, functional chords, melody) -> piano.

Stage 1 (:mod:`.leadsheet`) plans 4-bar phrases in a form (AABA, ABAC, ...), writes key-relative chords
(Roman numerals) from a chord-transition model and a melody from an interval / chord-tone / rhythm model;
stage 2 (:mod:`.accompaniment`) realises the chords as piano texture from a library of accompaniment
patterns. All tables are fitted on POP909 (:mod:`.fit`, ``studio train leadsheet``) and shipped in
``checkpoints/music-leadsheet``; :class:`.pipeline.LeadSheetPipeline` is the generator.
"""

from .pipeline import LeadSheetPipeline
from .tables import LeadSheetTables

__all__ = ["LeadSheetPipeline", "LeadSheetTables"]
