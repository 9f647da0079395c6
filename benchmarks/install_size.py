"""What the running venv holds, per installed distribution (the files its RECORD lists), largest first, and the
venv's whole size on disk: the figures of docs/getting_started.md's extras table.

    python benchmarks/install_size.py [--top 30]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
from pathlib import Path


def distribution_sizes() -> list[tuple[float, str, str]]:
    """`(MB, name, version)` of every installed distribution, largest first."""
    rows = []
    for dist in importlib.metadata.distributions():
        total = 0
        for file in dist.files or []:
            try:
                total += os.path.getsize(dist.locate_file(file))
            except OSError:
                pass
        rows.append((total / 1e6, dist.metadata["Name"], dist.version))
    return sorted(rows, reverse=True)


def folder_size(path: Path) -> float:
    """Bytes of every file under `path` (bytecode caches included), in GB."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=30, help="Distributions listed.")
    args = parser.parse_args()
    rows = distribution_sizes()
    print("| distribution | version | MB |\n|---|---|---|")
    for size, name, version in rows[: args.top]:
        print(f"| {name} | {version} | {size:.1f} |")
    print(f"\n{len(rows)} distributions, {sum(r[0] for r in rows) / 1e3:.2f} GB in their files; "
          f"the venv {sys.prefix}: {folder_size(Path(sys.prefix)):.2f} GB on disk")  # fmt: skip


if __name__ == "__main__":
    main()
