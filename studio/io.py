"""Atomic writes: a file appears whole or not at all, so nothing already made is half-written."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; it replaces ``path`` only on success.

    The temporary name keeps the target's suffix (or ``suffix``) so writers that pick a format
    from the extension (soundfile, PIL, pretty_midi) still work.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=suffix or target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes 0600 files; outputs should be as readable as any file the user writes.
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def check_output_dir(out: str | os.PathLike, create: bool = True) -> Path:
    """The one check of an output folder, run BEFORE any work: it must be (or become) a writable folder.

    Args:
        out: the folder (``-o``/``--out``).
        create: make it (and its parents) now; otherwise only check that it could be made.

    Raises:
        StudioError (also ``NotADirectoryError`` / ``PermissionError``): ``out`` or one of its parents
        is an existing file, or the folder is not writable.
    """
    from studio.errors import studio_error

    p = Path(out)
    for q in (p, *p.parents):
        if q.exists() or q.is_symlink():
            if not q.is_dir():
                what = "output folder" if q == p else f"output folder {p}: its parent"
                raise studio_error(NotADirectoryError, f"{what} {q} exists and is not a folder; give a folder path")
            break
    if not create:
        return p
    try:
        p.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=p)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise studio_error(PermissionError, f"output folder {p} is not writable ({e.strerror or e})") from None
    return p


def check_output_file(path: str | os.PathLike) -> Path:
    """An output file's path checked before any work: its folder can be made and written, and the
    path itself is not a folder."""
    from studio.errors import studio_error

    p = Path(path)
    if p.is_dir():
        raise studio_error(IsADirectoryError, f"output {p} is a folder; give a file name")
    check_output_dir(p.parent if str(p.parent) else ".", create=False)
    return p


@contextlib.contextmanager
def unnamed_file(path: str | os.PathLike) -> Iterator[Any]:
    """Yield a binary file (``w+b``) with no name yet, in the target's folder; it becomes ``path``
    only on success. Linux ``O_TMPFILE``: a process killed with ``kill -9`` meanwhile leaves nothing
    behind, not even a hidden partial file. Elsewhere falls back to a hidden named temporary file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    flag = getattr(os, "O_TMPFILE", None)
    try:
        fd = os.open(target.parent, flag | os.O_RDWR, 0o666 & ~_umask()) if flag else -1
    except OSError:  # a filesystem without O_TMPFILE support
        fd = -1
    if fd < 0:
        with atomic_path(target) as tmp, open(tmp, "w+b") as f:
            yield f
        return
    f = os.fdopen(fd, "w+b")
    try:
        yield f
        f.flush()
        os.fsync(f.fileno())
        fds = os.open("/proc/self/fd", os.O_RDONLY)  # linkat(AT_SYMLINK_FOLLOW) names the unnamed inode
        try:
            try:  # a new file: the finished inode gets its name in one step, no other name ever shows
                os.link(str(f.fileno()), target, src_dir_fd=fds, follow_symlinks=True)
            except FileExistsError:  # replacing a file: a hidden name first, then one rename over it
                fd2, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
                os.close(fd2)
                os.unlink(tmp)
                os.link(str(f.fileno()), tmp, src_dir_fd=fds, follow_symlinks=True)
                os.replace(tmp, target)
        finally:
            os.close(fds)
    finally:
        f.close()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | os.PathLike, obj: Any) -> Path:
    return write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(o: Any) -> Any:
    if hasattr(o, "to_dict"):
        return o.to_dict()
    if hasattr(o, "tolist"):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
