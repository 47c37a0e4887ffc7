"""Batch generation: one row per item from a CSV or JSONL file, run in parallel, resumable.

Rows have the columns ``emotion`` (required), ``bars``, ``seed``, ``what`` (music|art|both),
``style``, ``size``, ``name``, ``candidates``, ``rounds``. Each finished item lands whole in
``OUT/<name>/`` and gets one line in ``OUT/manifest.jsonl``; ``OUT/summary.json`` is written at
the end. Crash safety: an item is built in a hidden ``OUT/.partial-*`` folder; the driver renames
it into place and appends its manifest line in one ``write``, so a ``kill -9`` loses at most the
items in flight and ``--resume`` skips every item the manifest lists as finished. Workers die with
the driver (``PR_SET_PDEATHSIG`` on Linux) and ignore the terminal's Ctrl-C: on SIGINT/SIGTERM the
driver starts nothing new, gives the items in flight ``STOP_GRACE_SECONDS`` to finish, discards
the rest (their partial folders are removed) and returns a summary marked ``interrupted``.

    from studio.batch import load_jobs, run_batch
    jobs, problems = load_jobs("jobs.csv")
    summary = run_batch(jobs, "outputs/batch", workers=2, resume=True)
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import json
import os
import re
import shutil
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from studio.emotion import MAX_TEXT_CHARS, parse_emotion_arg
from studio.errors import StudioError, user_errors
from studio.io import check_output_dir, write_json_atomic
from studio.limits import MAX_BARS, MAX_CANDIDATES, MAX_ROUNDS, MAX_SIZE, MIN_SIZE, check_int
from studio.loop import DEFAULT_CANDIDATES, DEFAULT_ROUNDS
from studio.seeding import resolve_seed

COLUMNS = ("emotion", "bars", "seed", "what", "style", "size", "name", "candidates", "rounds")
WHAT = ("both", "music", "art")
DEFAULT_JOB_FN = "studio.batch:create_job"
MANIFEST, SUMMARY, PARTIAL = "manifest.jsonl", "summary.json", ".partial-"
RESERVED_NAMES = (MANIFEST, SUMMARY)  # files the batch writes itself into OUT
# the limits a row is checked against: the same constants the run-time checks use
LIMITS = {
    "bars": (1, MAX_BARS),
    "size": (MIN_SIZE, MAX_SIZE),
    "candidates": (1, MAX_CANDIDATES),
    "rounds": (1, MAX_ROUNDS),
}
MAX_JOBS_FILE_BYTES = 64 * 2**20
STOP_GRACE_SECONDS = 2.0  # after SIGINT/SIGTERM, items in flight get this long to finish before they are discarded
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass
class Job:
    """One batch item. ``line`` is the 1-based line number in the jobs file (for messages)."""

    line: int
    name: str
    emotion: Any
    what: str = "both"
    bars: int = 16
    seed: int | None = None
    size: int = 512
    style: str | None = None
    candidates: int = DEFAULT_CANDIDATES  # the loop is opt-in (bench/bench_loop.py)
    rounds: int = DEFAULT_ROUNDS
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


# --- parsing ------------------------------------------------------------------------------------
def check_name(name: str) -> str:
    """A safe item folder name: letters, digits, ``._-``; no paths, no ``..``, not hidden."""
    if not isinstance(name, str) or not _NAME_RE.match(name) or ".." in name:
        raise ValueError(
            f"name {name!r} is not allowed: use 1-100 letters, digits, '.', '_' or '-' (no slashes, no '..', "
            "not starting with '.'), so every item stays inside the output folder"
        )
    if name.lower() in RESERVED_NAMES:
        raise ValueError(f"name {name!r} is reserved: the batch writes {' and '.join(RESERVED_NAMES)} itself")
    return name


def _slug(x: Any) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", str(x)).strip("-").lower()
    return s[:40] or "item"


def _int(row: dict, key: str, default: int | None) -> int | None:
    v = row.get(key)
    if v is None or (isinstance(v, str) and not v.strip()):
        return default
    if isinstance(v, bool):
        raise ValueError(f"{key} must be an integer, got {v!r}")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be an integer, got {v!r}") from None
    if not f.is_integer():
        raise ValueError(f"{key} must be an integer, got {v!r}")
    return int(f)


def parse_row(row: dict, line: int) -> Job:
    """Validate one row (a dict of column -> value) into a :class:`Job`; ``ValueError`` if bad."""
    from studio.emotion import Emotion

    unknown = sorted(k for k in row if k not in COLUMNS and k is not None)
    if unknown:
        raise ValueError(f"unknown column(s) {unknown}; accepted: {', '.join(COLUMNS)}")
    emotion = parse_emotion_arg(row.get("emotion"))
    if emotion is None or (isinstance(emotion, str) and not emotion.strip()):
        raise ValueError("emotion is empty")
    try:
        e = Emotion.coerce(emotion)
    except (TypeError, ValueError) as err:
        raise ValueError(f"bad emotion {emotion!r}: {err}") from None
    except ImportError as err:  # free text needs the text model
        raise ValueError(f"emotion {emotion!r} is free text and the text model is unavailable ({err})") from None
    what = row.get("what") or "both"
    what = what.strip() if isinstance(what, str) else what
    if what not in WHAT:
        raise ValueError(f"what must be one of {', '.join(WHAT)}, got {what!r}")
    name = row.get("name")
    name = check_name(
        name.strip() if isinstance(name, str) and name.strip() else f"{line:05d}-{_slug(e.label or emotion)}"
    )
    job = Job(
        line=line,
        name=name,
        emotion=list(emotion) if isinstance(emotion, tuple) else emotion,
        what=what,
        bars=_int(row, "bars", 16),
        seed=_int(row, "seed", None),
        size=_int(row, "size", 512),
        style=(row.get("style") or None),
        candidates=_int(row, "candidates", Job.candidates),
        rounds=_int(row, "rounds", Job.rounds),
    )
    for key, (lo, hi) in LIMITS.items():
        check_int(key, getattr(job, key), lo, hi)
    if job.seed is not None:
        resolve_seed(job.seed)  # the one seed check
    return job


def _rows(path: Path) -> Iterable[tuple[int, dict | Exception]]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        for i, ln in enumerate(text.splitlines(), 1):
            if not ln.strip() or ln.lstrip().startswith("#"):
                continue
            try:
                obj = json.loads(ln)
            except json.JSONDecodeError as e:
                yield i, ValueError(f"not valid JSON ({e.msg})")
                continue
            yield i, obj if isinstance(obj, dict) else ValueError(f"expected a JSON object, got {type(obj).__name__}")
        return
    if path.suffix.lower() not in (".csv", ".tsv"):
        raise ValueError(f"jobs file must be .csv or .jsonl, got {path.name}")
    lines = text.splitlines()
    reader = csv.DictReader(lines, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
    header = reader.fieldnames or []
    if "emotion" not in header:
        raise ValueError(
            f"{path.name}: the header has no 'emotion' column (found {header}); columns: {', '.join(COLUMNS)}"
        )
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as e:  # e.g. a field over csv's size limit: the rest of the file cannot be trusted
            raise StudioError(
                f"{path.name}:{reader.line_num + 1}: unreadable CSV ({e}); emotion text is at most "
                f"{MAX_TEXT_CHARS} characters"
            ) from None
        line = reader.line_num
        if None in row:
            yield line, ValueError(f"{len(row[None])} more value(s) than header columns")
        elif all(v in (None, "") for v in row.values()):
            continue
        elif any(v is None for v in row.values()):
            yield line, ValueError("fewer values than header columns")
        else:
            yield line, row


@user_errors
def load_jobs(path: str | os.PathLike, progress: bool = False) -> tuple[list[Job], list[dict]]:
    """Read a jobs file. Returns ``(jobs, problems)`` where each problem is
    ``{"line": n, "error": message}``: bad rows are reported and skipped, the rest still run.

    Args:
        progress: a tqdm bar over the rows (free-text rows each run the text model).

    Raises:
        StudioError (also ``FileNotFoundError``): no such file; unusable file (wrong type, no
        emotion column, unreadable CSV).
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"jobs file not found: {p}")
    if p.stat().st_size > MAX_JOBS_FILE_BYTES:
        raise ValueError(
            f"{p.name} is {p.stat().st_size / 2**20:.0f} MB; jobs files up to {MAX_JOBS_FILE_BYTES // 2**20} MB are accepted"
        )
    jobs, problems, seen = [], [], {}
    from tqdm.auto import tqdm

    total = p.read_bytes().count(b"\n") if progress else None
    bar = tqdm(total=total, desc="checking rows", unit="row", disable=not progress, mininterval=0.5)
    for line, row in _rows(p):
        bar.update(line - bar.n)
        if isinstance(row, Exception):
            problems.append({"line": line, "error": str(row)})
            continue
        try:
            job = parse_row(row, line)
            if job.name in seen:
                raise ValueError(f"name {job.name!r} repeats line {seen[job.name]}")
        except (ValueError, TypeError) as e:
            problems.append({"line": line, "error": str(e)})
            continue
        seen[job.name] = line
        jobs.append(job)
    bar.close()
    return jobs, problems


# --- the work of one item ----------------------------------------------------------------------
def create_job(job: dict, directory: Path) -> dict:
    """The default job: ``studio.create`` for the row, saved into ``directory``."""
    from studio.api import create

    r = create(
        emotion=job["emotion"],
        bars=job["bars"],
        seed=job["seed"],
        size=job["size"],
        style=job["style"],
        candidates=job["candidates"],
        rounds=job["rounds"],
        what=job["what"],
        pipeline=_WORKER.get("pipeline") if job["what"] != "art" else None,
    )
    r.save(directory)
    return {
        "seed": r.seed,
        "emotion": r.emotion.to_dict(),
        "readings": {k: (v.to_dict() if v is not None else None) for k, v in r.readings.items()},
    }


def dry_job(job: dict, directory: Path) -> dict:
    """A model-free job (writes a small JSON; sleeps ``STUDIO_DRY_JOB_SECONDS``) for testing and
    timing the batch machinery itself. Style ``"fail"`` raises, to exercise error handling."""
    if job["style"] == "fail":
        raise RuntimeError("dry job asked to fail")
    (directory / "part.txt").write_text("half of an item\n")
    time.sleep(float(os.environ.get("STUDIO_DRY_JOB_SECONDS", "0")))
    write_json_atomic(directory / "dry.json", job)
    return {"seed": job["seed"]}


def resolve_job_fn(spec: str | Callable) -> Callable:
    if callable(spec):
        return spec
    mod, _, fn = spec.partition(":")
    if not fn:
        raise ValueError(f"job function must be 'module:function', got {spec!r}")
    return getattr(importlib.import_module(mod), fn)


_WORKER: dict[str, Any] = {}


def _die_with_parent() -> None:
    """Linux: have the kernel SIGKILL this process when its parent dies (even by ``kill -9``)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent or parent == 1:  # the parent died before prctl took effect
        os._exit(1)


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _stop_signals_held():
    """Ctrl-C and SIGTERM wait while the driver spawns worker processes. A process spawned meanwhile starts
    with them blocked (:func:`_init_worker` then ignores them), so a Ctrl-C at start no longer kills a worker
    mid-start with "Fatal Python error" on the user's terminal; the driver receives them on leaving."""
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX: nothing to hold
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _init_worker(job_fn: str | Callable, threads: int | None, child: bool = False) -> None:
    """Per-process set-up: thread count, the job function, and warm models (loaded once).

    ``child``: a pool worker, which dies with the driver and leaves SIGINT/SIGTERM to it (Ctrl-C
    reaches the whole process group; the driver decides what stops and what is kept).
    """
    if child:
        _die_with_parent()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if hasattr(signal, "pthread_sigmask"):  # spawned with them held (_stop_signals_held): ignored now
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        from tqdm import tqdm  # its default lock is a multiprocessing semaphore, which a discarded worker would leak

        tqdm.set_lock(threading.RLock())
    if threads:
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    fn = resolve_job_fn(job_fn)
    _WORKER["fn"] = fn
    if fn is create_job:
        warm_up()
    if threads and "torch" in sys.modules:  # only a job that uses torch pays for importing it
        sys.modules["torch"].set_num_threads(threads)


def warm_up() -> None:
    """Load the generation stack once per worker so no item pays for it again."""
    for mod in ("studio.api", "studio.art", "studio.loop", "studio.critics", "studio.mapping"):
        importlib.import_module(mod)
    from studio.music.generators import default_pipeline

    try:
        _WORKER["pipeline"] = default_pipeline()
    except FileNotFoundError:
        pass  # art-only batches still run; music items report the missing generator


def run_job(job: dict, tmp: str, job_fn: str | Callable | None = None) -> dict:
    """Build one item in the partial folder ``tmp`` (the driver renames it into place).

    Returns the manifest record (``status`` "ok" with ``files``, or "error"); failures are
    returned, never raised, and leave no partial folder.
    """
    fn = _WORKER.get("fn") if job_fn is None else resolve_job_fn(job_fn)
    if fn is None:
        _init_worker(DEFAULT_JOB_FN, None)
        fn = _WORKER["fn"]
    tmp_p = Path(tmp)
    t0 = time.perf_counter()
    rec = {"name": job["name"], "line": job["line"], "what": job["what"], "emotion_asked": job["emotion"]}
    try:
        tmp_p.mkdir(parents=True)
        info = fn(job, tmp_p) or {}
        files = sorted(str(p.relative_to(tmp_p)) for p in tmp_p.rglob("*") if p.is_file())
        rec.update(status="ok", dir=job["name"], files=files, **info)
    except Exception as e:  # one bad item must not stop the batch
        shutil.rmtree(tmp_p, ignore_errors=True)
        rec.update(status="error", error=f"{type(e).__name__}: {e}")
    rec["seconds"] = round(time.perf_counter() - t0, 3)
    rec["pid"] = os.getpid()
    return rec


# --- the driver -------------------------------------------------------------------------------
def finished_names(out: str | os.PathLike) -> set[str]:
    """Names the manifest records as finished whose folders are present (torn or foreign lines ignored)."""
    p = Path(out) / MANIFEST
    done: set[str] = set()
    if not p.is_file():
        return done
    for ln in p.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(ln)
        except json.JSONDecodeError:
            continue  # a line cut short by a kill: that item is simply redone
        name = rec.get("name") if isinstance(rec, dict) else None
        if not isinstance(name, str) or rec.get("status") != "ok":
            continue  # a line without a usable name says nothing about which item finished
        try:
            check_name(name)
        except ValueError:
            continue
        if (Path(out) / name).is_dir():
            done.add(name)
    return done


def _append(path: Path, rec: dict) -> None:
    data = (json.dumps(rec, default=str) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        if os.fstat(fd).st_size:  # a torn last line from a killed run must not swallow this one
            with open(path, "rb") as f:
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    data = b"\n" + data
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


class _Interrupted(BaseException):
    """Raised in the driver by a second signal (or the first one when items run in-process)."""


class _StopFlag:
    """SIGINT/SIGTERM handling for the driver: the first signal stops new work; ``hard`` makes the
    first one (or any second one) raise :class:`_Interrupted` to drop what is in flight at once,
    but never inside :meth:`atomic` (renaming an item and writing its manifest line)."""

    def __init__(self, hard: bool) -> None:
        self.signum: int | None = None
        self.hard = hard
        self._old: dict[int, Any] = {}
        self._atomic = False
        self._pending = False

    def __enter__(self) -> _StopFlag:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def _handle(self, signum: int, frame: Any) -> None:
        first = self.signum is None
        self.signum = self.signum or signum
        if self.hard or not first:
            if self._atomic:
                self._pending = True
            else:
                raise _Interrupted(signum)

    @contextlib.contextmanager
    def atomic(self):
        self._atomic = True
        try:
            yield
        finally:
            self._atomic = False
        if self._pending:
            raise _Interrupted(self.signum)


def _run_inline(payloads: list[dict], job_fn: str, stop: _StopFlag, on_done: Callable[[dict], None]) -> None:
    _init_worker(job_fn, 1)
    for job in payloads:
        if stop.signum is not None:
            return
        on_done(run_job(job, job["_tmp"]))


def _kill_pool(ex: Any) -> None:
    procs = list((getattr(ex, "_processes", None) or {}).values())
    for proc in procs:
        if proc.is_alive():
            proc.kill()
    for proc in procs:
        proc.join(5)
    # with its workers gone the pool's manager thread finishes at once; waiting for it lets the queues
    # release their semaphores (else the resource tracker warns about leaks after the summary line)
    ex.shutdown(wait=True, cancel_futures=True)


def _run_pool(payloads: list[dict], workers: int, job_fn: str, stop: _StopFlag, on_done) -> None:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    # One torch thread per worker: measured 2.1 s vs 12.5 s per item with 2 intra-op threads on a
    # shared 2-core host (bench/bench_batch.py); processes, not threads, are the parallelism here.
    ctx = mp.get_context("spawn")  # no forked torch/OpenMP state
    with _stop_signals_held():
        ex = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(job_fn, 1, True))
    queue, inflight = list(reversed(payloads)), set()
    grace_end = None
    try:
        while queue or inflight:
            # only `workers` items are ever handed to the pool, so a stop leaves nothing queued there
            while queue and len(inflight) < workers and stop.signum is None:
                job = queue.pop()
                with _stop_signals_held():  # a submit may spawn a worker
                    inflight.add(ex.submit(run_job, job, job["_tmp"]))
            if stop.signum is not None:
                queue.clear()
                grace_end = grace_end or time.monotonic() + STOP_GRACE_SECONDS
                if not inflight or time.monotonic() >= grace_end:
                    break
            done, inflight = wait(inflight, timeout=0.1, return_when=FIRST_COMPLETED)
            for f in done:
                try:
                    rec = f.result()
                except BrokenProcessPool:
                    # a signal from outside the group can still reach a worker; the driver's handler runs a moment later
                    time.sleep(0.2)
                    if stop.signum is not None:
                        break
                    raise StudioError(
                        "a worker process died (killed from outside, or out of memory?); finished items are in "
                        "the manifest and --resume does the rest"
                    ) from None
                on_done(rec)
    finally:
        if inflight or stop.signum is not None:
            _kill_pool(ex)  # discard what is still running; the driver removes its partial folders
        else:
            ex.shutdown(wait=True)


def _ray_task(job: dict, spec: str) -> dict:
    if _WORKER.get("spec") != spec:  # Ray reuses worker processes: set up once per process
        _init_worker(spec, 1)
        _WORKER["spec"] = spec
    return run_job(job, job["_tmp"])


def _run_ray(payloads: list[dict], workers: int, job_fn: str, stop: _StopFlag, on_done, address: str | None) -> None:
    try:
        import ray
    except ImportError:
        raise ValueError("--backend ray needs the ray package: pip install 'emotion-studio[ray]'") from None
    started = False
    if not ray.is_initialized():
        kw = {"address": address} if address else {"num_cpus": max(workers, 1)}
        ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False, **kw)
        started = True
    pending: list = []
    try:
        _task = ray.remote(num_cpus=1)(_ray_task)
        pending = [_task.remote(job, job_fn) for job in payloads]
        while pending and stop.signum is None:
            ready, pending = ray.wait(pending, num_returns=1, timeout=0.5)
            for ref in ready:
                on_done(ray.get(ref))
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        if started:
            ray.shutdown()


@user_errors
def run_batch(
    jobs: list[Job],
    out: str | os.PathLike,
    workers: int = 1,
    resume: bool = False,
    backend: str = "local",
    address: str | None = None,
    job_fn: str | Callable = DEFAULT_JOB_FN,
    problems: list[dict] | None = None,
    progress: bool = True,
) -> dict:
    """Run ``jobs`` into ``out``; returns the summary (also written to ``out/summary.json``).

    Args:
        workers: parallel worker processes (each loads the models once); 1 runs in this process.
        resume: skip items the manifest lists as finished; otherwise a non-empty manifest is an error.
        backend: ``"local"`` (process pool) or ``"ray"`` (Ray tasks; ``address`` of a cluster or a
            local one with ``num_cpus=workers``).
        job_fn: ``"module:function"`` doing one item (default: ``studio.create`` + save).
        problems: rows rejected by :func:`load_jobs`, carried into the summary.

    Returns:
        the summary dict; ``interrupted`` is the signal name (``"SIGINT"``/``"SIGTERM"``) when a
        signal stopped the run (finished items are in the manifest; the rest is left for ``--resume``).
    """
    if backend not in ("local", "ray"):
        raise ValueError(f"backend must be 'local' or 'ray', got {backend!r}")
    check_int("workers", workers, 1, 64)
    out_p, manifest, done = _open_output(out, resume)
    todo = [j for j in jobs if j.name not in done]
    payloads = [j.to_dict() | {"_tmp": str(out_p / f"{PARTIAL}{j.name}-{uuid.uuid4().hex[:8]}")} for j in todo]
    from tqdm.auto import tqdm

    bar = tqdm(total=len(jobs), initial=len(jobs) - len(todo), desc="batch", unit="item", disable=not progress)
    counts = {"ok": 0, "error": 0}
    errors: list[dict] = []
    tmp_of = {p["name"]: Path(p["_tmp"]) for p in payloads}

    def on_done(rec: dict) -> None:
        with stop.atomic():  # rename, then one manifest line: the item is finished exactly here
            if rec["status"] == "ok":
                final = out_p / check_name(rec["name"])
                if final.exists():  # left by a run killed after its rename but before its manifest line
                    shutil.rmtree(final)
                os.replace(tmp_of[rec["name"]], final)
            _append(manifest, rec)
        counts[rec["status"]] += 1
        if rec["status"] != "ok":
            errors.append({"line": rec["line"], "name": rec["name"], "error": rec["error"]})
            bar.write(f"line {rec['line']} ({rec['name']}): {rec['error']}")
        bar.update(1)

    t0 = time.perf_counter()
    spec = job_fn if isinstance(job_fn, str) else f"{job_fn.__module__}:{job_fn.__name__}"
    stop = _StopFlag(hard=backend == "local" and workers == 1)
    with stop:
        try:
            if payloads and backend == "ray":
                _run_ray(payloads, workers, spec, stop, on_done, address)
            elif payloads and workers == 1:
                _run_inline(payloads, spec, stop, on_done)
            elif payloads:
                _run_pool(payloads, workers, spec, stop, on_done)
        except _Interrupted:
            pass  # what was in flight is dropped; its partial folder goes below
        finally:
            bar.close()
            for tmp in tmp_of.values():
                shutil.rmtree(tmp, ignore_errors=True)
    wall = time.perf_counter() - t0
    summary = _summary(jobs, todo, counts, errors, stop, problems, workers, backend, wall, manifest)
    write_json_atomic(out_p / SUMMARY, summary)
    return summary


def _open_output(out: str | os.PathLike, resume: bool) -> tuple[Path, Path, set]:
    """The output folder checked (no finished items unless resuming), its manifest path and finished
    names; partial folders left by a killed run are removed."""
    out_p = check_output_dir(out)
    manifest = out_p / MANIFEST
    if manifest.is_dir() or (out_p / SUMMARY).is_dir():
        raise ValueError(f"{out_p} holds a folder named {MANIFEST} or {SUMMARY}; remove it or use a new folder")
    done = finished_names(out_p)
    if done and not resume:
        raise ValueError(
            f"{out_p} already holds {len(done)} finished item(s); pass --resume to continue, or use a new folder"
        )
    for stale in out_p.glob(f"{PARTIAL}*"):  # left by a killed run: never part of any result
        shutil.rmtree(stale, ignore_errors=True)
    return out_p, manifest, done


def _summary(jobs, todo, counts, errors, stop, problems, workers, backend, wall: float, manifest: Path) -> dict:
    finished = counts["ok"] + counts["error"]
    return {
        "jobs": len(jobs),
        "skipped_finished": len(jobs) - len(todo),
        "ok": counts["ok"],
        "failed": counts["error"],
        "not_run": len(todo) - finished,
        "interrupted": signal.Signals(stop.signum).name if stop.signum else None,
        "invalid_rows": problems or [],
        "errors": errors,
        "workers": workers,
        "backend": backend,
        "wall_seconds": round(wall, 3),
        "items_per_minute": round(counts["ok"] / wall * 60, 2) if wall > 0 and counts["ok"] else 0.0,
        "manifest": str(manifest),
    }
