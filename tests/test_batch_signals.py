"""studio batch under kill -9 and Ctrl-C: workers die with the driver, nothing finished is lost or
recorded twice, --resume does only the rest. Real 2-worker batches through the CLI, each in its own
process group (so "no process left" is checked on the group, and Ctrl-C reaches the whole group as
a terminal's would); the items are the model-free dry job so each run takes seconds."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real CLI batches killed and resumed: seconds each
ROOT = Path(__file__).resolve().parents[1]
N = 10


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "(comm)": state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(d.name))
    return pids


def _ok_lines(out: Path) -> list[str]:
    names = []
    for ln in (out / "manifest.jsonl").read_text().splitlines():
        rec = json.loads(ln)
        if rec["status"] == "ok":
            names.append(rec["name"])
    return names


def _items(out: Path) -> set[str]:
    return {p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for the process group")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
@pytest.mark.parametrize("moment", [0, 4, 8], ids=["at-start", "mid-run", "near-end"])
def test_a_killed_two_worker_batch_leaves_no_process_and_resume_completes(tmp_path, sig, moment):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(
        "".join(json.dumps({"emotion": "calm", "seed": i, "name": f"item{i:02d}"}) + "\n" for i in range(N))
    )
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "studio.cli", "batch", str(jobs), "--out", str(out), "-j", "2", "--no-progress"]
    cmd += ["--job-fn", "studio.batch:dry_job"]
    env = dict(os.environ, STUDIO_DRY_JOB_SECONDS="0.4")
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    manifest = out / "manifest.jsonl"
    while time.time() < deadline and proc.poll() is None:
        n = manifest.read_text().count("\n") if manifest.is_file() else 0
        if n >= moment and (moment or len(_group_pids(proc.pid)) >= 3):  # at-start: once the workers exist
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the batch ended before the signal"
    t_sig = time.time()
    os.killpg(proc.pid, sig)  # the whole group, as a terminal's Ctrl-C would (or kill -9 of all we can see)
    if sig == signal.SIGKILL:
        os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=10)
    while _group_pids(proc.pid) and time.time() - t_sig < 5:
        time.sleep(0.05)
    assert _group_pids(proc.pid) == [], "processes of the batch outlived it by 5 s"
    if sig == signal.SIGINT:
        assert proc.returncode == 128 + signal.SIGINT, err
        assert err.strip().splitlines()[-1].startswith("interrupted by SIGINT"), err
        # nothing but the driver's line: no worker (not even one still starting up) prints a traceback
        assert "Traceback" not in err and "Fatal Python error" not in err and "KeyboardInterrupt" not in err, err
    done = _ok_lines(out) if manifest.is_file() else []
    assert len(done) == len(set(done)), "an item is in the manifest twice"
    assert set(done) == _items(out), "a finished folder without its manifest line (or the reverse)"
    assert not list(out.glob(".partial-*")) or sig == signal.SIGKILL  # Ctrl-C cleans up; kill -9 cannot
    r = subprocess.run(
        [*cmd, "--resume"], env=dict(env, STUDIO_DRY_JOB_SECONDS="0"), cwd=ROOT, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert (s["skipped_finished"], s["ok"]) == (len(done), N - len(done))  # only the unfinished are redone
    names = _ok_lines(out)
    assert sorted(names) == [f"item{i:02d}" for i in range(N)] and _items(out) == set(names)
    assert not list(out.glob(".partial-*"))
