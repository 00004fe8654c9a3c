"""What an install costs (issue 18.7): the virtual environment's size by package, and the cold start
of the embedding model (import, load, first vector), on this machine's install (CPU build of torch).

Run: ``.venv/bin/python benchmarks/install_footprint.py``; writes
``benchmarks/results/install_footprint.json``. Sizes are what ``make setup`` installed here, dev
extras included (playwright, mypy…); ``runtime_mb`` leaves those out.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, load_average, record

#: Installed only for development and tests (pyproject's dev extras and what they pull in).
DEV_ONLY = ("playwright", "mypy", "ruff", "pytest", "hypothesis", "jsonschema", "pip_audit", "importlinter")
COLD_START = """
import time
t0 = time.perf_counter()
import torch
t1 = time.perf_counter()
from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
e = SentenceTransformerEmbedder()
t2 = time.perf_counter()
e.embed_sync(["How do I reset my password?"])
t3 = time.perf_counter()
print(round(t1 - t0, 2), round(t2 - t1, 2), round(t3 - t2, 3))
"""


def size_mb(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    return round(total / 2**20, 1)


def main() -> None:
    load_start = load_average()
    site = Path(sysconfig.get_paths()["purelib"])
    packages = {
        p.name: size_mb(p) for p in site.iterdir() if p.is_dir() and not p.name.endswith(".dist-info")
    }
    top = dict(sorted(packages.items(), key=lambda kv: -kv[1])[:15])
    total = size_mb(ROOT / ".venv")
    dev = sum(mb for name, mb in packages.items() if name.lower().startswith(DEV_ONLY))
    runs = []
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", COLD_START], capture_output=True, text=True, check=True, cwd=ROOT,
            env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        runs.append([float(x) for x in done.stdout.split()])
    best = min(runs, key=sum)
    figures = {
        "venv_mb": total,
        "runtime_mb": round(total - dev, 1),
        "dev_only_mb": round(dev, 1),
        "largest_packages_mb": top,
        "cold_start_s": {"import_torch": best[0], "load_model": best[1], "first_vector": best[2]},
    }
    print(figures)
    print(f"recorded {record('install_footprint', figures, load_at_start=load_start)}")


if __name__ == "__main__":
    main()
