"""One progress convention for every verb and generator.

``progress`` is ``True`` (a tqdm bar), ``False``/``None`` (nothing) or a callable
``callback(fraction, message)``: ``fraction`` of the work done in [0, 1] and a short message
("round 2: distance 0.31", "painting 3 of 4", "bar 5 of 16"). :class:`Progress` turns any of them
into ``update(done, message)`` calls over ``total`` units.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ProgressFn = Callable[[float, str], None]


class Progress:
    """Reports ``done`` of ``total`` units to a tqdm bar, a ``callback(fraction, message)`` or nothing.

    Args:
        progress: ``True``, ``False``/``None`` or a callable ``(fraction, message)``.
        total: units of work (rounds, candidates, bars, pieces); at least 1.
        desc, unit: the tqdm bar's label and unit.
    """

    def __init__(self, progress: bool | ProgressFn | None, total: int, desc: str = "", unit: str = "step"):
        self.total = max(int(total), 1)
        self.callback: ProgressFn | None = progress if callable(progress) else None
        self.bar: Any = None
        if progress is True:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, desc=desc, unit=unit, leave=False)

    def update(self, done: int, message: str = "") -> None:
        if self.callback is not None:
            self.callback(min(done, self.total) / self.total, message)
        elif self.bar is not None:
            self.bar.n = done
            if message:
                self.bar.set_postfix_str(message)
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
