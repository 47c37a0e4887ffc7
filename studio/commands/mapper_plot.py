"""studio mapper-plot -o FILE.png: the fitted music-attribute fields over the valence-arousal plane."""

from __future__ import annotations

import argparse

NAME = "mapper-plot"
HELP = "plot the fitted emotion -> music attribute fields (tempo, P(major), note density, ...) over the VA plane"

DEFAULT_FIELDS = ("tempo", "mode", "note_density", "velocity_mean", "pitch_mean", "chord_valence")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", required=True, help="PNG file to write")
    p.add_argument(
        "--fields",
        nargs="+",
        default=list(DEFAULT_FIELDS),
        help=f"attributes to plot (default: {' '.join(DEFAULT_FIELDS)})",
    )
    p.add_argument("--dominance", type=float, default=0.0, help="dominance of the slice, in [-1, 1] (default 0)")
    p.add_argument("--resolution", type=int, default=41, help="grid points per axis (5-201, default 41)")


def plot_fields(
    output: str, fields: list[str] | tuple[str, ...] = DEFAULT_FIELDS, dominance: float = 0.0, resolution: int = 41
) -> str:
    """Draw each attribute's fitted field over V, A in [-1, 1] at fixed dominance; returns the path.

    Named emotions are marked so the picture can be read against words.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from studio.emotion import Emotion, named_emotions
    from studio.io import atomic_path
    from studio.mapping.music import MAPPED, music_targets

    known = [*MAPPED, "onset_regularity"]
    bad = [f for f in fields if f not in known]
    if bad:
        raise ValueError(f"cannot plot {bad}; the mapper's attributes are {known}")
    if not 5 <= resolution <= 201:
        raise ValueError(f"resolution must be 5-201 grid points, got {resolution}")
    if not str(output).lower().endswith(".png"):
        raise ValueError(f"output must be a .png file, got {output}")
    Emotion(0.0, 0.0, dominance)  # validates the range with a clear message
    axis = np.linspace(-1, 1, resolution)
    grids = {f: np.zeros((resolution, resolution)) for f in fields}
    for i, a in enumerate(axis):
        for j, v in enumerate(axis):
            m, _ = music_targets(Emotion(float(v), float(a), dominance))
            for f in fields:
                grids[f][i, j] = getattr(m, f)
    cols = min(3, len(fields))
    rows = (len(fields) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.8 * rows), squeeze=False)
    labels = {"mode": "P(major)", "note_density": "notes / beat", "tempo": "tempo (BPM)"}
    names = named_emotions()
    for ax, f in zip(axes.flat, fields):
        im = ax.imshow(grids[f], origin="lower", extent=(-1, 1, -1, 1), cmap="viridis", aspect="equal")
        ax.contour(axis, axis, grids[f], levels=6, colors="white", linewidths=0.5, alpha=0.6)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        ax.axhline(0, color="k", lw=0.5)
        ax.axvline(0, color="k", lw=0.5)
        for n in ("happy", "excited", "furious", "sad", "calm", "tender", "afraid", "bored"):
            if n in names:
                e = names[n]
                ax.plot(e.valence, e.arousal, "w.", ms=4)
                right = e.valence > 0.4  # keep labels inside the axes
                ax.annotate(
                    n,
                    (e.valence, e.arousal),
                    color="white",
                    fontsize=7,
                    xytext=(-3 if right else 3, 2),
                    textcoords="offset points",
                    ha="right" if right else "left",
                )
        ax.set_title(labels.get(f, f))
        ax.set_xlabel("valence")
        ax.set_ylabel("arousal")
    for ax in list(axes.flat)[len(fields) :]:
        ax.axis("off")
    fig.suptitle(f"music mapper (EMOPIA train), dominance {dominance:+.1f}")
    fig.tight_layout()
    with atomic_path(output) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return str(output)


def run(args: argparse.Namespace) -> int:
    path = plot_fields(args.output, fields=args.fields, dominance=args.dominance, resolution=args.resolution)
    print(f"wrote {path}")
    return 0
