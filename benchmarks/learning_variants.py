"""Learning experiments (issue 20): the learning arm of a replay under one variant at a time, so
that what moved the figures can be told apart.

Variants:
- ``current``: the product as it is.
- ``no-inner-layer``: ``ASSISTANT_EMBEDDING_INNER_LAYER=0``: vectors without the encoder's third
  layer, whose part the head has judged since 2026-12-07 (what ``current`` was before).
- ``no-title-items``: no long article is matched by its title on its own
  (``ingestion._title_item``), as before 2026-12-07's title items (what ``current`` was before).
  ``results/learning_variants-long-articles*.json`` were recorded at commit 43b5eb2, when the
  product also let each document vote once among the neighbours: its ``current`` is that, its
  ``every-passage-votes`` is today's ``current`` (each passage and title item votes), and its
  ``every-passage-votes-no-title-items`` is what ``current`` was before.
- ``private-replies``: the simulated agent keeps every reply private to the asker's account (what
  replays did between issue 14, which made an agent's words private unless shared, and the
  harness sharing macro-tagged replies).
- ``calibration-73bfc8c``: the confidence model of commit 73bfc8c (2026-11-24: a fitted model
  blended with the prior by 40 pseudo-outcomes), before it was shrunk towards the prior instead
  (commit 2bf2597, so that time passing never turns answering off). Needs the git history.
- ``threshold-per-answer``: the answer/hand-off threshold judged with every past answer counted
  once (a silent answer as a whole yes, not half of one); the model is still fitted with weights.
  With the default (silence discounted) it means what it did; combined with
  ``ASSISTANT_SILENCE=estimated`` it would also drop the soft labels' weights, so it is not run so.
- ``silence-estimated``: ``ASSISTANT_SILENCE=estimated``: what a silent answer is worth is read
  from how often the agent approves and corrects (``calibration.read_silence``), not taken as half
  a yes.
- ``no-spot-checks``: ``ASSISTANT_SPOT_CHECK_SHARE=0``: no silent answer is put to the agent.
- ``no-key-shifts``: one confidence model for every resolution, as before 2026-12-06's per-resolution
  log-odds shifts (``calibration.fit_key_shifts``); ``key-shrink-3``: the shifts always shrunk by
  3 outcomes' worth instead of a strength chosen by held-out outcomes.
- ``no-lexical-head``: the resolution head over the embedding alone, as before 2026-12-06's
  words beside it (``assistant.answering.lexicon``).
- ``pull-1``, ``pull-0.1``: the confidence model pulled towards its prior with that fixed strength
  instead of one chosen by held-out outcomes (``calibration.choose_pull``); 1 is the pull before
  2026-12-06. ``results/learning_variants-l2*.json`` were recorded before that change, when
  ``current`` was the fixed pull of 1 and the variant ``l2-0.1`` was today's ``pull-0.1``.
- ``head-weight-0.5``, ``head-weight-0.85``, ``head-weight-1``: the head's share of a candidate's
  score (``ranking.HEAD_WEIGHT``, 0.7) set to that instead; the neighbours' votes get the rest.
- ``batch-row``: each question's term row made by sklearn's batch transform, as before
  2026-12-07's ``Lexicon.row`` (the same figures; a question costs 0.34 ms more).
- ``layers-3``: every vector also holds the encoder's third layer, mean-pooled beside the last
  (``OnnxBertEncoder(inner_layers=(3,))``, 768 numbers instead of 384), for the index, the head and
  novelty alike; ``layers-3-at-0.5``: that part at half the last layer's length; ``head-layers-3``:
  the nearest-neighbour index sees only the last layer's part, the head all of it;
  ``head-layers-3-judged``: as that, but the head looks at the third layer's part only once its own
  examples show it helps, judged with the words (``ResolutionHead(judged_tail=...)``,
  ``head.choose_features``); until then it sees exactly what ``no-inner-layer``'s head sees. This
  is what the product does since 2026-12-07, through the configuration, and ``current`` measures it;
  these variants keep the benchmark's own wiring (each vector's whole taken as its sentence part)
  so that the recorded figures can be run again.
- ``results/learning_variants-novelty-gate.json`` compares a novelty gate that loosened on the
  outcomes of what it stopped (a working tree of 2026-12-07, not kept; its note says why) with
  the product's, as ``current`` and ``fixed-novelty-gate``.

Run: ``.venv/bin/python benchmarks/learning_variants.py [--sets stackfaq,hwu64]
[--variants current,private-replies,calibration-73bfc8c] [--correct-rate 0.5] [--seed 1] [--tag T]``;
writes ``benchmarks/results/learning_variants.json`` (``learning_variants-correct-0.5.json`` when the
simulated agent corrects only that share of wrong answers: the rest stay silent, as a busy agent
leaves them, and silence then is not always right; ``-seed-1`` with another seed of the simulated
agent's draws, to tell a change's effect from the seed's spread).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, SHARED_EVAL, load_average, record

sys.path.insert(0, str(ROOT))

VARIANTS = (
    "current",
    "no-inner-layer",
    "no-title-items",
    "private-replies",
    "calibration-73bfc8c",
    "threshold-per-answer",
    "silence-estimated",
    "pull-1",
    "pull-0.1",
    "pulls-up-to-1",
    "novelty-0.05",
    "novelty-0",
    "no-spot-checks",
    "no-key-shifts",
    "key-shrink-3",
    "no-lexical-head",
    "head-weight-0.5",
    "head-weight-0.85",
    "head-weight-1",
    "batch-row",
    "layers-3",
    "head-layers-3",
    "layers-3-at-0.5",
    "head-layers-3-judged",
)


def _install_old_calibration(scratch: Path) -> None:
    """Put the 73bfc8c calibration module in place of the current one, before the service loads."""
    import assistant.answering  # noqa: F401  (the package must exist first)

    source = subprocess.run(
        ["git", "show", "73bfc8c:assistant/answering/calibration.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = scratch / "calibration_73bfc8c.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("assistant.answering.calibration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["assistant.answering.calibration"] = module
    spec.loader.exec_module(module)


#: The bundled MiniLM's hidden size: the last layer's part of a vector with inner layers beside it.
LAST_LAYER_WIDTH = 384


def _embed_inner_layers(layers: tuple[int, ...], share: float) -> None:
    """Every vector also holds the encoder's ``layers`` (``OnnxBertEncoder(inner_layers=...)``),
    their part scaled by ``share`` before the whole is made unit length again, and the whole is
    the sentence part the product compares (``sentence_dimension``)."""
    import numpy as np

    from adapters.embedding.onnx_bert import OnnxBertEncoder

    init = OnnxBertEncoder.__init__

    def with_layers(self, path, **kwargs):  # type: ignore[no-untyped-def]
        init(self, path, **{**kwargs, "inner_layers": layers})
        self.sentence_dimension = self.dimension

    OnnxBertEncoder.__init__ = with_layers  # type: ignore[method-assign]
    if share != 1:
        encode = OnnxBertEncoder.encode

        def weighted(self, texts, **kwargs):  # type: ignore[no-untyped-def]
            vectors = encode(self, texts, **kwargs)
            vectors[:, LAST_LAYER_WIDTH:] *= share
            return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

        OnnxBertEncoder.encode = weighted  # type: ignore[method-assign]


def _index_on_last_layer() -> None:
    """The nearest-neighbour index sees only the last layer's part of each vector (the head
    still gets all of it)."""
    from dataclasses import replace

    import numpy as np

    from adapters.vectorstore.embedded import EmbeddedVectorStore

    init, upsert = EmbeddedVectorStore.__init__, EmbeddedVectorStore.upsert
    search = EmbeddedVectorStore.search

    def last_layer(vector):  # type: ignore[no-untyped-def]
        part = np.asarray(vector)[:LAST_LAYER_WIDTH]
        return part / np.linalg.norm(part)

    def sliced_init(self, *, dimension, **kwargs):  # type: ignore[no-untyped-def]
        init(self, dimension=LAST_LAYER_WIDTH, **kwargs)

    async def sliced_upsert(self, entries):  # type: ignore[no-untyped-def]
        await upsert(self, [replace(e, vector=last_layer(e.vector)) for e in entries])

    async def sliced_search(self, vector, text, **kwargs):  # type: ignore[no-untyped-def]
        return await search(self, last_layer(vector), text, **kwargs)

    EmbeddedVectorStore.__init__ = sliced_init  # type: ignore[method-assign]
    EmbeddedVectorStore.upsert = sliced_upsert  # type: ignore[method-assign]
    EmbeddedVectorStore.search = sliced_search  # type: ignore[method-assign]


def _head_judges_inner_layers() -> None:
    """The head judges whether the inner layers' part (all after the last layer's) helps."""
    from assistant.answering.head import ResolutionHead
    from assistant.retrieval import engine

    def judging(dimension: int, **kwargs: Any) -> ResolutionHead:
        return ResolutionHead(dimension, judged_tail=dimension - LAST_LAYER_WIDTH, **kwargs)

    engine.ResolutionHead = judging  # type: ignore[assignment,misc]


async def _learning_arm(dataset: str, variant: str, correct_rate: float, seed: int) -> dict[str, Any]:
    from adapters.wiring import build_assistant, build_embedder
    from assistant.config import default_database_url_for, load_settings
    from assistant.knowledge.replay_format import read_replay_dir
    from assistant.replay import harness
    from assistant.replay.harness import ReplayOptions, run_replay

    if variant == "threshold-per-answer":
        import numpy as np

        from assistant.answering import calibration

        weighted = calibration.choose_threshold

        def per_answer(probabilities, correct, weights, target):  # type: ignore[no-untyped-def]
            return weighted(probabilities, correct, np.ones_like(weights), target)

        calibration.choose_threshold = per_answer
    if variant == "no-title-items":
        from assistant.knowledge import ingestion

        ingestion._title_item = lambda *args, **kwargs: None
    if variant.startswith("pull-"):
        from assistant.answering import calibration

        fixed = float(variant.removeprefix("pull-"))
        calibration.choose_pull = lambda *args, **kwargs: fixed
    if variant == "pulls-up-to-1":
        from assistant.answering import calibration

        calibration.PULLS = tuple(p for p in calibration.PULLS if p <= calibration.DEFAULT_PULL)
    if variant == "no-key-shifts" or variant.startswith("key-shrink-"):
        from assistant.answering import calibration

        shrink = float(variant.removeprefix("key-shrink-")) if variant != "no-key-shifts" else math.inf
        calibration.KEY_SHRINKS = (shrink,)
    if variant == "no-lexical-head":
        from assistant.answering import head

        head.fit_lexicon = lambda *args, **kwargs: None
    if variant == "batch-row":
        from assistant.answering.lexicon import Lexicon

        Lexicon.row = lambda self, text: self.rows([text])  # type: ignore[method-assign]
    if variant.startswith("head-layers-"):
        _index_on_last_layer()
        variant = variant.removeprefix("head-")
        if variant.endswith("-judged"):
            _head_judges_inner_layers()
            variant = variant.removesuffix("-judged")
    if variant.startswith("layers-"):
        layers, _, share = variant.removeprefix("layers-").partition("-at-")
        _embed_inner_layers(tuple(int(layer) for layer in layers.split("+")), float(share or 1))
    if variant.startswith("head-weight-"):
        from assistant.retrieval import ranking

        ranking.HEAD_WEIGHT = float(variant.removeprefix("head-weight-"))
    if variant == "private-replies":
        original = harness.Assistant.feedback

        async def private_feedback(self, answer_id, signal, **kwargs):  # type: ignore[no-untyped-def]
            kwargs["make_global"] = None
            return await original(self, answer_id, signal, **kwargs)

        harness.Assistant.feedback = private_feedback  # type: ignore[method-assign]
    data = read_replay_dir(SHARED_EVAL / dataset)
    with tempfile.TemporaryDirectory() as scratch:
        silence = "estimated" if variant == "silence-estimated" else "discounted"
        extra: dict[str, Any] = {}
        if variant == "no-spot-checks":
            extra["spot_check_share"] = 0.0
        if variant == "no-inner-layer":
            extra["embedding_inner_layer"] = 0
        if variant.startswith("novelty-"):
            extra["novelty_quantile"] = float(variant.removeprefix("novelty-"))
        settings = load_settings(
            database_url=default_database_url_for(Path(scratch) / "replay.db"), silence=silence, **extra
        )
        service = build_assistant(settings, embedder=build_embedder(settings), background_refit=False)
        await service.start()
        try:
            options = ReplayOptions(correct_rate=correct_rate, seed=seed)
            report = await run_replay(service, data, dataset=dataset, options=options)
        finally:
            await service.close()
    figures = report.to_dict()
    last = figures["checkpoints"][-1] if figures["checkpoints"] else {}
    return {
        "auto_resolution": round(figures["cumulative"]["auto_resolution_rate"], 4),
        "precision": round(figures["cumulative"]["precision"], 4),
        "test": {k: round(v, 4) for k, v in last.items() if isinstance(v, float) and math.isfinite(v)},
        "curve": [round(w["auto_resolution_rate"], 3) for w in figures["windows"]],
        "seconds": figures["seconds"],
        "spot_checks": figures["spot_checks"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="stackfaq,hwu64")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--correct-rate", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0, help="the simulated agent's; recorded as -seed-N")
    parser.add_argument("--tag", default="", help="recorded as learning_variants-TAG[-correct-R].json")
    parser.add_argument("--one", nargs=2, metavar=("SET", "VARIANT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # each variant runs in its own process: a patched module must not leak
        dataset, variant = args.one
        with tempfile.TemporaryDirectory() as scratch:
            if variant == "calibration-73bfc8c":
                _install_old_calibration(Path(scratch))
            print(json.dumps(asyncio.run(_learning_arm(dataset, variant, args.correct_rate, args.seed))))
        return
    load_start = load_average()
    results: dict[str, Any] = {}
    for dataset in args.sets.split(","):
        for variant in args.variants.split(","):
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--one",
                    dataset,
                    variant,
                    f"--correct-rate={args.correct_rate}",
                    f"--seed={args.seed}",
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            results.setdefault(dataset, {})[variant] = json.loads(done.stdout.strip().splitlines()[-1])
            print(dataset, variant, results[dataset][variant], flush=True)
    name = "learning_variants" + (f"-{args.tag}" if args.tag else "")
    name += "" if args.correct_rate == 1.0 else f"-correct-{args.correct_rate}"
    name += f"-seed-{args.seed}" if args.seed else ""
    figures = {"correct_rate": args.correct_rate, "seed": args.seed, "sets": results}
    print(record(name, figures, load_at_start=load_start))


if __name__ == "__main__":
    main()
