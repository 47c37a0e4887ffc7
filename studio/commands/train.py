"""studio train {leadsheet,music}: fit the lead-sheet generator's tables or train the REMI transformer."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

HELP = "train a model (leadsheet: the structure-first generator's tables; music: the REMI transformer)"
DEFAULT_OUT = {"leadsheet": Path("checkpoints/music-leadsheet"), "music": Path("checkpoints/music-gen")}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", choices=sorted(DEFAULT_OUT), help="which model to train")
    p.add_argument("--data", type=Path, default=None, help="data folder (default: STUDIO_DATA or ../shared/data)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="checkpoint folder to write (default checkpoints/music-leadsheet or music-gen)",
    )
    p.add_argument("--resume", action="store_true", help="continue from the saved training state")
    p.add_argument("--minutes", type=float, default=60.0, help="wall-clock budget in minutes (default 60)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument(
        "--lr", type=float, default=None, help="peak learning rate (default 0.002; lower it to continue a run)"
    )
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--tiny", action="store_true", help="a 2-layer model (smoke runs)")


def run(args: argparse.Namespace) -> int:
    from studio.paths import data_root

    out = args.out if args.out is not None else DEFAULT_OUT[args.what]
    if args.what == "leadsheet":
        from studio.music.structured.fit import main as fit_leadsheet

        root = args.data if args.data is not None else data_root()
        if not Path(root).is_dir():
            raise FileNotFoundError(f"data folder not found: {root}")
        meta = fit_leadsheet(Path(root), out, command=command_line())
        print(f"wrote {out} ({meta['songs']} songs, {meta['fit_seconds']} s)")
        return 0
    from studio.music.train import TrainConfig, train

    if args.minutes <= 0:
        raise ValueError(f"--minutes must be > 0, got {args.minutes}")
    if args.lr is not None and not 0 < args.lr <= 0.1:
        raise ValueError(f"--lr must be in (0, 0.1], got {args.lr}")
    root = args.data if args.data is not None else data_root()
    if not Path(root).is_dir():
        raise FileNotFoundError(f"data folder not found: {root}")
    tc = TrainConfig(minutes=args.minutes, batch_size=args.batch_size, threads=args.threads, command=command_line())
    if args.lr is not None:
        tc.lr = args.lr
    tc.model = {"dim": 192, "layers": 4, "heads": 4, "context": 384}
    if args.tiny:
        tc.model = {"dim": 64, "layers": 2, "heads": 2, "context": 256}
    record = train(Path(root), out, tc, resume=args.resume)
    print(f"wrote {out} ({record['steps']} steps)")
    return 0


def command_line() -> str:
    return "studio " + " ".join(shlex.quote(a) for a in sys.argv[1:])
