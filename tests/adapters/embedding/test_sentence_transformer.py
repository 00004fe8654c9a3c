"""The embedder loads its model only when a text must be embedded, if asked to be lazy (issue 18:
short CLI commands must not pay for the model), and gives the same vectors either way."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from adapters.embedding.sentence_transformer import (
    SentenceTransformerEmbedder,
    dimension_from_files,
    resolve_model_path,
)
from assistant.config import DEFAULT_EMBEDDING_MODEL, DEFAULT_INNER_LAYER


def test_a_lazy_embedder_knows_its_size_from_the_files_and_loads_on_first_use(
    embedder: SentenceTransformerEmbedder,
) -> None:
    lazy = SentenceTransformerEmbedder(lazy=True, inner_layer=DEFAULT_INNER_LAYER)
    assert not lazy.loaded
    assert lazy.dimension == embedder.dimension == 768
    assert lazy.sentence_dimension == 384
    assert SentenceTransformerEmbedder(lazy=True).dimension == 384
    vectors = lazy.embed_sync(["How do I reset my password?"])
    assert lazy.loaded
    assert np.allclose(vectors, embedder.embed_sync(["How do I reset my password?"]), atol=1e-6)


def test_the_size_is_not_guessed_when_a_module_may_change_it(tmp_path: Path) -> None:
    bundled = Path(resolve_model_path(DEFAULT_EMBEDDING_MODEL))
    assert dimension_from_files(str(bundled)) == 384
    modules = json.loads((bundled / "modules.json").read_text())
    modules.append({"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"})
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    assert dimension_from_files(str(tmp_path)) is None
    assert dimension_from_files(str(tmp_path / "missing")) is None
