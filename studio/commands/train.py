"""studio train VERB: retrain any shipped model with one command.

Each verb calls the model's existing fitting entry point in-process (nothing is re-implemented here):
``leadsheet`` and ``music`` have their own options; the others take ``--data``, ``--out`` (default: the
released checkpoint folder) and forward anything after ``--`` to the underlying fitter's own options.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import shlex
import sys
from pathlib import Path

HELP = "retrain a shipped model (leadsheet, music, vqvae, music-critic, music-quality, mapper, text-vad, image-critic)"
DEFAULT_OUT = {
    "leadsheet": Path("checkpoints/music-leadsheet"),
    "music": Path("checkpoints/music-gen"),
    "vqvae": Path("checkpoints/music-vqvae"),
    "music-critic": Path("checkpoints/music-critic"),
    "music-quality": Path("checkpoints/music-quality"),
    "mapper": Path("checkpoints/music-mapper"),
    "text-vad": Path("checkpoints/text-vad"),
    "image-critic": Path("checkpoints/image-critic"),
}
# verb -> (what it calls, its help line); the extra options after ``--`` go to that entry point
FITTERS = {
    "vqvae": (
        "python -m studio.music.vqvae train",
        "the bar VQ-VAE of the transform (options: --minutes --seed --n-codes --lr)",
    ),
    "music-critic": ("python -m studio.critics.music fit", "the music emotion critic (options: --seed)"),
    "music-quality": (
        "python -m studio.critics.music_quality fit",
        "the real-vs-generated quality critic; refit whenever the generator changes (options: --pieces --seed)",
    ),
    "mapper": ("studio.mapping.music.fit_mapper", "the emotion -> music attribute mapper (no options)"),
    "text-vad": ("tools/fit_text_vad.py", "the text -> VAD heads (options: --cache)"),
    "image-critic": (
        "tools/fit_image_critic.py",
        "the image critic, v2 by default (options: --critic v1, --cache, --variant, --compare)",
    ),
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="what", metavar="MODEL", required=True)
    data_help = "data folder (default: STUDIO_DATA or ../shared/data)"
    for what in ("leadsheet", "music"):
        s = sub.add_parser(
            what,
            help="the structure-first generator's tables" if what == "leadsheet" else "the REMI transformer",
        )
        s.add_argument("--data", type=Path, default=None, help=data_help)
        s.add_argument(
            "--out", type=Path, default=None, help=f"checkpoint folder to write (default {DEFAULT_OUT[what]})"
        )
        if what == "music":
            s.add_argument("--resume", action="store_true", help="continue from the saved training state")
            s.add_argument("--minutes", type=float, default=60.0, help="wall-clock budget in minutes (default 60)")
            s.add_argument("--batch-size", type=int, default=8)
            s.add_argument(
                "--lr", type=float, default=None, help="peak learning rate (default 0.002; lower it to continue a run)"
            )
            s.add_argument("--threads", type=int, default=2, help="torch CPU threads")
            s.add_argument("--tiny", action="store_true", help="a 2-layer model (smoke runs)")
    for what, (calls, help_) in FITTERS.items():
        s = sub.add_parser(what, help=help_, description=f"{help_}. Calls {calls}; options after -- go to it.")
        s.add_argument("--data", type=Path, default=None, help=data_help)
        s.add_argument(
            "--out", type=Path, default=None, help=f"checkpoint folder to write (default {DEFAULT_OUT[what]})"
        )
        s.add_argument("extra", nargs="*", help="options for the fitter, after --")


def run(args: argparse.Namespace) -> int:
    from studio.paths import data_root

    out = args.out if args.out is not None else DEFAULT_OUT[args.what]
    if args.what == "music":  # cheap option checks before the data check, as before
        if args.minutes <= 0:
            raise ValueError(f"--minutes must be > 0, got {args.minutes}")
        if args.lr is not None and not 0 < args.lr <= 0.1:
            raise ValueError(f"--lr must be in (0, 0.1], got {args.lr}")
    root = Path(args.data) if args.data is not None else data_root()
    if not root.is_dir():
        raise FileNotFoundError(f"data folder not found: {root} (pass --data or set STUDIO_DATA)")
    if args.what == "leadsheet":
        from studio.music.structured.fit import main as fit_leadsheet

        meta = fit_leadsheet(root, out, command=command_line())
        print(f"wrote {out} ({meta['songs']} songs, {meta['fit_seconds']} s)")
        return 0
    if args.what == "music":
        from studio.music.train import TrainConfig, train

        tc = TrainConfig(minutes=args.minutes, batch_size=args.batch_size, threads=args.threads, command=command_line())
        if args.lr is not None:
            tc.lr = args.lr
        from studio.music.checkpoint import TINY_SHAPE, released_shape

        tc.model = dict(TINY_SHAPE) if args.tiny else released_shape()
        record = train(root, out, tc, resume=args.resume)
        print(f"wrote {out} ({record['steps']} steps)")
        return 0
    extra = list(args.extra)
    with _data_env(root):
        if args.what == "vqvae":
            from studio.music.vqvae import main as vqvae_main

            return vqvae_main(["train", "--data", str(root), "--out", str(out), *extra])
        if args.what == "music-critic":
            from studio.critics.music_fit import main as critic_main

            return critic_main(["fit", "--data", str(root), "--out", str(out), *extra])
        if args.what == "music-quality":
            from studio.critics.music_quality import main as quality_main

            return quality_main(["fit", "--data", str(root), "--out", str(out), *extra])
        if args.what == "mapper":
            if extra:
                raise ValueError(f"studio train mapper takes no fitter options, got {' '.join(extra)}")
            import json

            from studio.mapping.music import fit_mapper

            t = fit_mapper(out / "mapper.json")
            keys = ("provenance", "keep", "keep_val_nearest_centre_acc", "emogen_agreement", "eval")
            print(json.dumps({k: t[k] for k in keys if k in t}, indent=1))
            print("->", out)
            return 0
        if args.what == "text-vad":
            return int(_tool("fit_text_vad").main(["--out", str(out), *extra]) or 0)
        # image-critic: v2 (released) unless "-- --critic v1"; v1's default folder stays image-critic-v1
        outs = ["--out", str(out)] if args.out is not None or "v1" not in extra else []
        return int(_tool("fit_image_critic").main([*outs, *extra]) or 0)


@contextlib.contextmanager
def _data_env(root: Path):
    """Point ``studio.paths.data_root()`` at ``root`` for fitters that read it (restored afterwards)."""
    old = os.environ.get("STUDIO_DATA")
    os.environ["STUDIO_DATA"] = str(root)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("STUDIO_DATA", None)
        else:
            os.environ["STUDIO_DATA"] = old


def _tool(name: str):
    """Import ``tools/<name>.py`` (a script, not a package module); tools/ goes on sys.path for its siblings."""
    from studio.paths import PROJECT_ROOT

    tools = PROJECT_ROOT / "tools"
    if not (tools / f"{name}.py").is_file():
        raise FileNotFoundError(f"{tools / name}.py not found (studio train needs a source checkout for this model)")
    if str(tools) not in sys.path:
        sys.path.insert(0, str(tools))
    return importlib.import_module(name)


def command_line() -> str:
    return "studio " + " ".join(shlex.quote(a) for a in sys.argv[1:])
