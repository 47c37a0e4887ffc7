"""studio info: versions, device, data folder and which checkpoints are present."""

from __future__ import annotations

import argparse
import json
import platform

HELP = "show versions, device, data folder and the checkpoints present"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")


def collect() -> dict:
    from importlib import metadata

    from studio import __version__
    from studio.paths import checkpoints_root, data_root

    pkgs = {}
    for name in ["torch", "numpy", "miditok", "symusic", "pretty_midi", "gradio", "diffusers", "pyfluidsynth"]:
        try:
            pkgs[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pkgs[name] = None
    try:
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
        threads = torch.get_num_threads()
    except ImportError:
        device, threads = "cpu (torch not installed)", None
    ck = checkpoints_root()
    present = {}
    if ck.is_dir():
        for d in sorted(p for p in ck.iterdir() if p.is_dir()):
            present[d.name] = sum(f.stat().st_size for f in d.rglob("*") if f.is_file())
    data = data_root(required=False)
    return {
        "studio": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": device,
        "torch_threads": threads,
        "packages": pkgs,
        "data_root": str(data) if data else None,
        "checkpoints_root": str(ck),
        "checkpoints": present,
    }


def run(args: argparse.Namespace) -> int:
    info = collect()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"emotion-studio {info['studio']}  (python {info['python']}, {info['platform']})")
    print(f"device: {info['device']}  torch threads: {info['torch_threads']}")
    print("packages: " + ", ".join(f"{k} {v or '-'}" for k, v in info["packages"].items()))
    print(f"data: {info['data_root'] or 'not found (only training/benchmarks need it)'}")
    print(f"checkpoints ({info['checkpoints_root']}):")
    if not info["checkpoints"]:
        print("  none")
    for name, size in info["checkpoints"].items():
        print(f"  {name:24s} {size / 1e6:7.2f} MB")
    return 0
