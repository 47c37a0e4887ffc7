"""Benchmark of the music-emotion critic on EMOPIA test (88 clips, song-disjoint) and its stress sets.

Scores the shipped checkpoint (``checkpoints/music-critic``) on:

* EMOPIA **test** as it is (4Q / arousal / valence accuracy, NLL, ECE with 10 bins, confusion);
* the same clips made differently (:data:`studio.critics.music_augment.STRESS`): round-tripped through
  the REMI tokenizer (quantised), every velocity flattened, transposed up a fourth, played twice
  (2x length); the bar is each within 0.03 of the plain 4Q figure;
* an **abstain** view: the critic abstains on features outside its training range or a top
  probability under the threshold chosen in CV; coverage and accuracy where it does not abstain;
* EMOPIA val for reference (val is not used by the critic's fit; the loop benchmark's judge is fitted on it);
* **outside EMOPIA** (no emotion labels there, so proxies the music-psychology literature agrees on; the critic
  never saw either set): POP909 songs whose annotated key keeps one mode (``key_audio.txt``) and Nottingham
  tunes by their key signature's mode — how well the critic's valence separates major from minor (ROC AUC),
  beside the same AUC of the measured mode alone (``studio.attributes.music``, what a reading by mode would
  give); POP909's arousal against its tempo mark and its notes per second (Spearman); the share the critic
  abstains on. ``--skip-outside`` leaves it out.

Run: ``.venv/bin/python bench/bench_critic.py``; writes ``bench/results/critic.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.critics.music import MusicCritic, judge_music  # noqa: E402
from studio.critics.music_fit import metrics, split_features  # noqa: E402
from studio.io import write_json_atomic  # noqa: E402
from studio.paths import PROJECT_ROOT, data_root  # noqa: E402

ANCHORS = {"4Q (EMOPIA paper, symbolic)": 0.684, "4Q MidiBERT": 0.679, "arousal": 0.890, "valence": 0.833}
BARS = {"acc_4q": 0.75, "acc_arousal": 0.93, "acc_valence": 0.87, "ece": 0.08, "stress_gap": 0.03}


def abstain_mask(critic: MusicCritic, X: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """``[N]`` True where the critic abstains (features out of range, or top probability under threshold)."""
    out = np.array([bool(critic.out_of_range(x)) for x in X])
    return out | (probs.max(1) < float(critic.config.hyper.get("min_prob", 0.0)))


def ece_noise_floor(probs: np.ndarray, draws: int = 500, seed: int = 0) -> float:
    """Mean ECE of a *perfectly calibrated* critic on this many clips: labels drawn from ``probs`` itself.

    With 88 clips and 10 bins the ECE of a calibrated model is far from 0; this is the figure to read
    the measured ECE against.
    """
    rng = np.random.default_rng(seed)
    cum = probs.cumsum(1)
    out = [metrics(probs, (rng.random((len(probs), 1)) > cum).sum(1).clip(0, 3) + 1)["ece"] for _ in range(draws)]
    return round(float(np.mean(out)), 4)


def _line(name: str, m: dict) -> str:
    return (
        f"{name:15s} n={m['n']}: 4Q {m['acc_4q']:.3f}  arousal {m['acc_arousal']:.3f}  valence {m['acc_valence']:.3f}"
        f"  NLL {m['nll']:.3f}  ECE {m['ece']:.3f}"
    )


def _pop909_songs(root: Path):
    """``(score, minor, tempo mark)`` of every POP909 song whose annotated key keeps one mode throughout."""
    import symusic

    from studio.music.structured.fit import _segments, parse_key

    for folder in sorted((root / "pop909" / "POP909").glob("[0-9][0-9][0-9]")):
        modes = {k[1] for _, _, k in _segments(folder / "key_audio.txt", parse_key) if k is not None}
        if len(modes) == 1:
            score = symusic.Score(str(folder / f"{folder.name}.mid"))
            yield score, modes.pop() == 1, float(score.tempos[0].qpm) if len(score.tempos) else float("nan")


def _nottingham_tunes(root: Path):
    """``(score, minor)`` of every Nottingham tune that carries a key signature (MIDI's mode flag)."""
    import symusic

    for path in sorted((root / "nottingham" / "MIDI").glob("*.mid")):
        score = symusic.Score(str(path))
        if len(score.key_signatures):
            yield score, int(score.key_signatures[0].tonality) == 1


def outside_emopia(root: Path, critic: MusicCritic) -> dict:
    """Proxies of reading emotion outside EMOPIA: major vs minor by valence (with the measured mode alone as
    the reference), POP909's arousal against tempo and note rate, and abstention."""
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    from studio.attributes.music import extract_attributes
    from studio.critics.music import abstains

    out = {}
    for name, items in (("pop909", _pop909_songs(root)), ("nottingham", _nottingham_tunes(root))):
        rows = []
        for item in items:
            score, minor = item[0], item[1]
            reading = critic(score)
            seconds = max(float(score.to("second").end()), 1e-9)
            notes = sum(len(t.notes) for t in score.tracks if not t.is_drum)
            mode = extract_attributes(score).mode
            rows.append((minor, reading.valence, reading.arousal, abstains(reading), mode, notes / seconds, *item[2:]))
        minor, valence, arousal, abstain, mode, rate = (np.array([r[k] for r in rows], float) for k in range(6))
        major = minor == 0
        m = {
            "pieces": len(rows),
            "minor": int(minor.sum()),
            "valence_auc_major_over_minor": round(float(roc_auc_score(major, valence)), 4),
            "measured_mode_auc_major_over_minor": round(float(roc_auc_score(major, mode)), 4),
            "valence_mean_major": round(float(valence[major].mean()), 3),
            "valence_mean_minor": round(float(valence[~major].mean()), 3),
            "abstain_share": round(float(abstain.mean()), 4),
            "valence_auc_when_answering": round(float(roc_auc_score(major[abstain == 0], valence[abstain == 0])), 4),
        }
        if name == "pop909":
            tempo = np.array([r[6] for r in rows], float)
            m["arousal_spearman_tempo_mark"] = round(float(spearmanr(arousal, tempo)[0]), 4)
            m["arousal_spearman_notes_per_second"] = round(float(spearmanr(arousal, rate)[0]), 4)
        out[name] = m
        print(
            f"outside EMOPIA, {name}: {m['pieces']} pieces ({m['minor']} minor); valence AUC major > minor "
            f"{m['valence_auc_major_over_minor']:.3f} (measured mode alone {m['measured_mode_auc_major_over_minor']:.3f}; "
            f"mean valence {m['valence_mean_major']:+.2f} / {m['valence_mean_minor']:+.2f}); abstains on "
            f"{m['abstain_share']:.2f}, AUC where it answers {m['valence_auc_when_answering']:.3f}"
            + (
                f"; arousal vs tempo mark r_s {m['arousal_spearman_tempo_mark']:.3f}, vs notes per second "
                f"{m['arousal_spearman_notes_per_second']:.3f}"
                if name == "pop909"
                else ""
            )
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(PROJECT_ROOT / "bench" / "results" / "critic.json"))
    ap.add_argument("--skip-outside", action="store_true", help="leave out the POP909 / Nottingham proxies")
    args = ap.parse_args()
    root = data_root()
    critic = MusicCritic.from_pretrained()
    out = {"critic": critic.config.version, "anchors": ANCHORS, "bars": BARS}
    t0 = time.perf_counter()
    test = split_features(root, "test", augment=False)
    val = split_features(root, "val", augment=False)
    out["feature_seconds"] = round(time.perf_counter() - t0, 1)
    y = test["y"]
    plain = None
    out["test"] = {}
    for view, X in test["X"].items():
        p = critic.predict_proba(X)
        m = metrics(p, y)
        out["test"][view] = m
        plain = plain or m
        gap = plain["acc_4q"] - m["acc_4q"]
        print(_line(f"test {view}", m) + ("" if view == "plain" else f"  gap {gap:+.3f}"))
    out["ece_if_calibrated"] = ece_noise_floor(critic.predict_proba(test["X"]["plain"]))
    print(
        f"ECE a calibrated critic would show on these {len(y)} clips (labels drawn from its own p): "
        f"{out['ece_if_calibrated']:.3f}"
    )
    out["stress_gaps"] = {v: round(plain["acc_4q"] - m["acc_4q"], 4) for v, m in out["test"].items() if v != "plain"}
    out["stress_within_bar"] = all(abs(g) <= BARS["stress_gap"] for g in out["stress_gaps"].values())
    print("confusion, test plain (rows true Q1-Q4, columns predicted):")
    for q, row in enumerate(plain["confusion"], 1):
        print(f"  Q{q}: {row}")

    # abstain view: on the plain test clips and pooled over every stress set
    out["abstain"] = {}
    for name, views in {"test plain": ["plain"], "test all views": list(test["X"])}.items():
        X = np.concatenate([test["X"][v] for v in views])
        yy = np.tile(y, len(views))
        p = critic.predict_proba(X)
        ab = abstain_mask(critic, X, p)
        kept = ~ab
        acc_kept = float((p[kept].argmax(1) + 1 == yy[kept]).mean()) if kept.any() else float("nan")
        acc_ab = float((p[ab].argmax(1) + 1 == yy[ab]).mean()) if ab.any() else float("nan")
        out["abstain"][name] = {
            "n": int(len(yy)),
            "coverage": round(float(kept.mean()), 4),
            "acc_4q_when_not_abstaining": round(acc_kept, 4),
            "acc_4q_on_abstained": round(acc_ab, 4),
        }
        print(
            f"abstain, {name}: coverage {kept.mean():.3f}, 4Q when answering {acc_kept:.3f} "
            f"(on the abstained {acc_ab:.3f}, n={int(ab.sum())})"
        )
    m = metrics(critic.predict_proba(val["X"]["plain"]), val["y"])
    out["val"] = m
    print(_line("val plain", m))

    clip = root / "emopia" / "midis" / test["names"][0]
    t0 = time.perf_counter()
    for _ in range(5):
        judge_music(clip, critic)
    out["seconds_per_clip"] = round((time.perf_counter() - t0) / 5, 4)
    print(f"judge one 30 s clip: {out['seconds_per_clip'] * 1000:.0f} ms; anchors {ANCHORS}; bars {BARS}")
    if not args.skip_outside:
        out["outside_emopia"] = outside_emopia(root, critic)
    write_json_atomic(args.out, out)
    print("->", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
