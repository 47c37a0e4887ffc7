"""studio batch: parsing with line-numbered problems, path safety, manifest/resume, kill -9, Ray."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studio.batch import check_name, finished_names, load_jobs, run_batch

DRY = "studio.batch:dry_job"
ROOT = Path(__file__).resolve().parents[1]
STUDIO = [sys.executable, "-m", "studio.cli"]


def _manifest(out):
    return [json.loads(ln) for ln in (Path(out) / "manifest.jsonl").read_text().splitlines() if ln.strip()]


def test_bad_rows_are_reported_by_line_and_the_rest_parse(tmp_path):
    p = tmp_path / "jobs.csv"
    p.write_text(
        "emotion,bars,seed,what,size,name\n"
        "tender,4,1,art,128,a\n"
        '"0.6,-0.5",4,2,music,128,b\n'
        "furious,4,3,art,128,../x\n"
        "tender,4,,banana,128,c\n"
        ",4,,art,128,d\n"
        "calm,4,5,art,128,/abs\n"
        "calm,four,5,art,128,e\n"
        "calm,4,5,art,128,a\n"
        "calm,4,5,art,128,f,extra\n"
        "calm,4,5,art,9999,g\n"
    )
    jobs, problems = load_jobs(p)
    assert [j.name for j in jobs] == ["a", "b"]
    assert jobs[1].emotion == [0.6, -0.5] and jobs[1].what == "music"
    by_line = {pr["line"]: pr["error"] for pr in problems}
    assert sorted(by_line) == [4, 5, 6, 7, 8, 9, 10, 11]
    assert "not allowed" in by_line[4] and "not allowed" in by_line[7]
    assert "what" in by_line[5] and "empty" in by_line[6] and "bars" in by_line[8]
    assert "repeats line 2" in by_line[9] and "more value" in by_line[10] and "size" in by_line[11]


def test_missing_emotion_column_and_jsonl(tmp_path):
    p = tmp_path / "jobs.csv"
    p.write_text("mood,bars\ntender,4\n")
    with pytest.raises(ValueError, match="emotion"):
        load_jobs(p)
    q = tmp_path / "jobs.jsonl"
    q.write_text('{"emotion": "calm", "what": "art"}\nnot json\n[1, 2]\n{"emotion": [0.1, 0.2, 0.3], "name": "x"}\n')
    jobs, problems = load_jobs(q)
    assert [j.line for j in jobs] == [1, 4] and jobs[0].name == "00001-calm"
    assert [pr["line"] for pr in problems] == [2, 3]
    with pytest.raises(FileNotFoundError):
        load_jobs(tmp_path / "nope.csv")


@pytest.mark.parametrize("bad", ["../x", "/etc", "a/b", "..", ".hidden", "a\\b", "", "x" * 101])
def test_names_that_escape_the_output_folder_are_refused(bad):
    with pytest.raises(ValueError, match="not allowed"):
        check_name(bad)


def _jobs(tmp_path, n, extra=""):
    p = tmp_path / "jobs.jsonl"
    p.write_text(
        "".join(json.dumps({"emotion": "calm", "seed": i, "name": f"item{i:03d}"}) + "\n" for i in range(n)) + extra
    )
    return load_jobs(p)


def test_manifest_resume_and_failures(tmp_path):
    jobs, _ = _jobs(tmp_path, 5, extra=json.dumps({"emotion": "calm", "style": "fail", "name": "bad"}) + "\n")
    out = tmp_path / "out"
    s = run_batch(jobs, out, job_fn=DRY, progress=False)
    assert (s["ok"], s["failed"]) == (5, 1) and s["errors"][0]["line"] == 6
    assert finished_names(out) == {f"item{i:03d}" for i in range(5)}
    assert json.loads((out / "item003" / "dry.json").read_text())["seed"] == 3
    assert not list(out.glob(".partial-*")) and not (out / "bad").exists()
    with pytest.raises(ValueError, match="--resume"):
        run_batch(jobs, out, job_fn=DRY, progress=False)
    s2 = run_batch(jobs, out, job_fn=DRY, progress=False, resume=True)
    assert (s2["skipped_finished"], s2["ok"], s2["failed"]) == (5, 0, 1)
    assert json.loads((out / "summary.json").read_text())["skipped_finished"] == 5


def test_unwritable_output_is_a_clear_error(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    jobs, _ = _jobs(tmp_path, 1)
    with pytest.raises(NotADirectoryError, match="not a folder"):
        run_batch(jobs, f, job_fn=DRY, progress=False)
    with pytest.raises(PermissionError, match="not writable"):
        run_batch(jobs, "/proc/studio-batch-out", job_fn=DRY, progress=False)
    r = subprocess.run(
        [*STUDIO, "batch", str(tmp_path / "jobs.jsonl"), "--out", "/proc/x", "--no-progress"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 2 and "not writable" in r.stderr and "Traceback" not in r.stderr


def test_two_workers_each_run_items(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_DRY_JOB_SECONDS", "0.3")
    jobs, _ = _jobs(tmp_path, 6)
    out = tmp_path / "out"
    s = run_batch(jobs, out, workers=2, job_fn=DRY, progress=False)
    assert s["ok"] == 6
    pids = {r["pid"] for r in _manifest(out)}
    assert len(pids) == 2 and os.getpid() not in pids


def test_kill_minus_9_loses_nothing_finished_and_resume_completes(tmp_path):
    jobs_file = tmp_path / "jobs.jsonl"
    _jobs(tmp_path, 12)
    out = tmp_path / "out"
    env = dict(os.environ, STUDIO_DRY_JOB_SECONDS="0.25")
    cmd = [*STUDIO, "batch", str(jobs_file), "--out", str(out), "--job-fn", DRY, "--no-progress"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline and len(finished_names(out)) < 3:
        time.sleep(0.05)
    time.sleep(0.1)  # land mid-item: the dry job writes half an item, sleeps, then finishes
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    done = finished_names(out)
    assert 3 <= len(done) < 12
    for name in done:  # everything the manifest lists is whole
        assert (out / name / "dry.json").is_file()
    visible = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert visible - {"manifest.jsonl"} <= done | {name for name in visible if (out / name / "dry.json").is_file()}
    r = subprocess.run(
        [*cmd, "--resume"], env=dict(env, STUDIO_DRY_JOB_SECONDS="0"), cwd=ROOT, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert s["skipped_finished"] == len(done) and s["ok"] == 12 - len(done)
    assert finished_names(out) == {f"item{i:03d}" for i in range(12)}
    assert not list(out.glob(".partial-*"))


def test_real_paintings_through_the_cli(tmp_path, capsys):
    """The CLI's own entry point in this process (the painter and critic are loaded here already; a fresh
    interpreter would import torch again for 2 s): the verb's process-level behaviour (exit codes, stderr,
    kill -9 and --resume) is checked through real subprocesses by the tests above and below."""
    from studio.cli import main

    p = tmp_path / "jobs.csv"
    p.write_text('emotion,what,size,seed,name\ntender,art,64,1,t\n"-0.7,0.7",art,64,2,f\n')
    out = tmp_path / "out"
    assert main(["batch", str(p), "--out", str(out), "--no-progress"]) == 0, capsys.readouterr().err
    assert (out / "t" / "painting.png").is_file()
    meta = json.loads((out / "f" / "create.json").read_text())
    assert meta["seed"] == 2 and meta["emotion"]["valence"] == -0.7


@pytest.mark.slow  # starts a local Ray cluster
def test_ray_backend_runs_the_same_jobs(tmp_path):
    pytest.importorskip("ray", reason="ray not installed (the ray extra)")
    jobs, _ = _jobs(tmp_path, 4, extra=json.dumps({"emotion": "calm", "style": "fail", "name": "bad"}) + "\n")
    out = tmp_path / "out"
    t0 = time.time()
    s = run_batch(jobs, out, workers=2, backend="ray", job_fn=DRY, progress=False)
    assert (s["ok"], s["failed"], s["backend"]) == (4, 1, "ray")
    assert finished_names(out) == {f"item{i:03d}" for i in range(4)}
    assert time.time() - t0 < 60


@pytest.mark.parametrize("name", ["manifest.jsonl", "summary.json", "SUMMARY.JSON"])
def test_names_the_batch_writes_itself_are_refused_at_validation(tmp_path, name):
    p = tmp_path / "j.csv"
    p.write_text(f"emotion,name,what,size\ntender,{name},art,64\nsad,second,art,64\n")
    jobs, problems = load_jobs(p)
    assert [j.name for j in jobs] == ["second"] and "reserved" in problems[0]["error"]
    s = run_batch(jobs, tmp_path / "o", job_fn=DRY, progress=False)
    assert s["ok"] == 1 and (tmp_path / "o" / "manifest.jsonl").is_file()


def test_a_manifest_line_without_a_name_is_ignored_on_resume(tmp_path):
    jobs, _ = _jobs(tmp_path, 2)
    out = tmp_path / "out"
    run_batch(jobs, out, job_fn=DRY, progress=False)
    with open(out / "manifest.jsonl", "a") as f:
        f.write('{"status": "ok"}\n5\n{"status": "ok", "name": "../etc"}\n')
    s = run_batch(jobs, out, job_fn=DRY, progress=False, resume=True)
    assert (s["skipped_finished"], s["ok"]) == (2, 0)


def test_a_huge_csv_field_is_a_clear_error(tmp_path):
    from studio.errors import StudioError

    p = tmp_path / "j.csv"
    p.write_text('emotion,name\n"' + "x" * 200_000 + '",a\n')
    with pytest.raises(StudioError, match=r"j.csv:2: unreadable CSV .*at most \d+ characters"):
        load_jobs(p)


def test_row_limits_are_the_run_time_limits_and_the_help_quotes_them(tmp_path):
    from studio import limits
    from studio.cli import build_parser

    p = tmp_path / "j.csv"
    p.write_text(
        f"emotion,bars,candidates\ncalm,{limits.MAX_BARS + 1},2\ncalm,4,{limits.MAX_CANDIDATES + 1}\n"
        f"calm,{limits.MAX_BARS},{limits.MAX_CANDIDATES}\n"
    )
    jobs, problems = load_jobs(p)
    assert len(jobs) == 1 and [pr["line"] for pr in problems] == [2, 3]
    assert f"[1, {limits.MAX_BARS}]" in problems[0]["error"]
    sub = build_parser()._subparsers._group_actions[0].choices
    compose_help = sub["compose"].format_help()
    assert f"1-{limits.MAX_BARS} " in compose_help and f"1-{limits.MAX_CANDIDATES} " in compose_help
    assert f"bars 1-{limits.MAX_BARS}" in " ".join(sub["batch"].format_help().split())


def test_dry_run_checks_every_row_and_makes_nothing(tmp_path):
    p = tmp_path / "j.csv"
    p.write_text("emotion,bars\ncalm,4\ncalm,999\n")
    out = tmp_path / "never"
    r = subprocess.run(
        [*STUDIO, "batch", str(p), "--out", str(out), "--dry-run"], cwd=ROOT, capture_output=True, text=True
    )
    assert r.returncode == 1 and "1 valid row(s), 1 invalid" in r.stdout and "j.csv:3: invalid: bars" in r.stderr
    assert not out.exists()
