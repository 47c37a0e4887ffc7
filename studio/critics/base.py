"""What every critic returns: a reading of the emotion a piece or picture conveys."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from studio.emotion import Emotion


@dataclass
class Reading:
    """A critic's reading.

    Attributes:
        valence, arousal: estimates in [-1, 1].
        dominance: estimate in [-1, 1], or ``None`` where the critic does not read it.
        confidence: in [0, 1]; how much to trust the reading (low for out-of-domain input).
        quadrant_probs: EMOPIA quadrant probabilities ``{1: p, 2: p, 3: p, 4: p}``.
        kind: ``"music"`` or ``"image"``.
        critic: name and version of the critic that made it.
        details: anything else worth showing (features, per-model readings, warnings).
    """

    valence: float
    arousal: float
    confidence: float
    quadrant_probs: dict[int, float]
    kind: str
    critic: str
    dominance: float | None = None
    details: dict = field(default_factory=dict)

    @property
    def quadrant(self) -> int:
        return max(self.quadrant_probs, key=self.quadrant_probs.get)

    @property
    def emotion(self) -> Emotion:
        clip = lambda x: max(-1.0, min(1.0, float(x)))  # noqa: E731
        return Emotion(clip(self.valence), clip(self.arousal), clip(self.dominance or 0.0), confidence=self.confidence)

    def distance(self, target: object) -> float:
        """VA distance to a target emotion (any form ``Emotion.coerce`` takes)."""
        t = Emotion.coerce(target)
        return ((self.valence - t.valence) ** 2 + (self.arousal - t.arousal) ** 2) ** 0.5

    def to_dict(self) -> dict:
        d = asdict(self)
        d["quadrant"] = self.quadrant
        d["quadrant_probs"] = {str(k): round(v, 4) for k, v in self.quadrant_probs.items()}
        for k in ("valence", "arousal", "dominance", "confidence"):
            if d[k] is not None:
                d[k] = round(float(d[k]), 4)
        return d

    def __str__(self) -> str:
        d = "" if self.dominance is None else f", D {self.dominance:+.2f}"
        return f"{self.kind} reading: V {self.valence:+.2f}, A {self.arousal:+.2f}{d}; Q{self.quadrant} (confidence {self.confidence:.2f})"
