"""The studio's own error type: one class callers catch, one line that says what was wrong.

Every public entry point (``studio.compose``, ``transform``, ``paint``, ``create``, ``judge``,
``analyze``, ``Emotion.coerce``, the batch loader, rendering) raises :class:`StudioError` for input
it cannot use. ``StudioError`` subclasses ``ValueError``; where the cause is a missing file, a
wrong type or a folder problem the raised class also subclasses ``FileNotFoundError`` /
``TypeError`` / ... so existing ``except FileNotFoundError`` code keeps working.

    try:
        studio.compose("nan,0")
    except studio.StudioError as e:
        print(e)          # one line, no traceback needed
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

MAX_MESSAGE_CHARS = 500
# C0/C1 control characters and ANSI escape sequences (CSI ... final byte, OSC ... BEL/ST)
_ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_control(text: str) -> str:
    """``text`` without ANSI escape sequences and control characters (tabs/newlines kept)."""
    return _CONTROL_RE.sub("", _ANSI_RE.sub("", text))


def one_line(message: Any) -> str:
    """A message as one printable line: control characters dropped, whitespace runs collapsed, capped."""
    s = " ".join(strip_control(str(message)).split())
    return s if len(s) <= MAX_MESSAGE_CHARS else s[: MAX_MESSAGE_CHARS - 1] + "\u2026"


class StudioError(ValueError):
    """Input or a request the studio cannot use; ``str(e)`` is one line saying what is accepted."""

    def __init__(self, message: Any = "") -> None:
        super().__init__(one_line(message))


# the standard errors a user's input may cause, most specific first; each gets a StudioError twin
_KINDS: tuple[type[Exception], ...] = (
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
    TypeError,
    ValueError,
)
_TWINS: dict[type, type] = {ValueError: StudioError}
USER_ERRORS: tuple[type[Exception], ...] = _KINDS


def _twin(kind: type[Exception]) -> type[StudioError]:
    if kind not in _TWINS:
        _TWINS[kind] = type(f"Studio{kind.__name__}", (StudioError, kind), {"__module__": __name__})
    return _TWINS[kind]


def as_studio_error(e: BaseException) -> StudioError:
    """``e`` as a :class:`StudioError` that is still an instance of its standard base
    (``FileNotFoundError``, ``TypeError``, ...); a ``StudioError`` is returned as it is."""
    if isinstance(e, StudioError):
        return e
    kind = next((k for k in _KINDS if isinstance(e, k)), ValueError)
    msg = str(e)
    if isinstance(e, OSError) and e.strerror and e.filename is not None:  # "[Errno 2] ..." -> plain words
        msg = f"{e.strerror}: {e.filename}"
    return _twin(kind)(msg or type(e).__name__)


def studio_error(kind: type[Exception], message: Any) -> StudioError:
    """A StudioError that is also a ``kind`` (e.g. ``FileExistsError``), ready to raise."""
    return _twin(kind)(message)


F = TypeVar("F", bound=Callable[..., Any])


def user_errors(fn: F) -> F:
    """Decorate a public entry point: user-caused ``ValueError``/``TypeError``/file errors leave it
    as :class:`StudioError` (one line); anything else (a bug) propagates unchanged."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StudioError:
            raise
        except USER_ERRORS as e:
            raise as_studio_error(e) from e

    return wrapper  # type: ignore[return-value]


__all__ = ["StudioError", "USER_ERRORS", "as_studio_error", "one_line", "strip_control", "studio_error", "user_errors"]
