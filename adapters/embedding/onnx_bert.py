"""A sentence-transformers BERT model run by ONNX Runtime instead of torch (issue 18, item 7).

torch is 700 MB installed (several GB where PyPI serves its CUDA build) and takes seconds to
import; ONNX Runtime is under 100 MB and starts in a fraction of a second. The model folder holds
safetensors weights, not an ONNX file, and no export may be downloaded, so the encoder's graph is
built here from the weights (the standard BERT encoder: embeddings, self-attention, GELU
feed-forward, post-layer norms) and pooled as the folder's ``modules.json`` says. The vectors
equal torch's to float precision; ``tests/adapters/embedding`` compares both.

With ``inner_layers`` the vector also holds those layers' states, each pooled (and normalised)
alone beside the last layer's: a richer input for a classifier over the vectors (the benchmark
``learning_variants.py`` measures it for the resolution head; the product does not use it yet).

Only what this graph covers loads: a BERT checkpoint, mean or CLS pooling, optional normalisation.
Any other architecture or module raises ``UnsupportedModel`` and the torch runtime is the way.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: The graph's opset: LayerNormalization needs 17.
OPSET = 17
#: Bumped whenever ``_build_encoder`` changes, so a cached graph from an older build is not reused.
GRAPH_VERSION = 1
_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"


class UnsupportedModel(ValueError):
    """The model folder holds something this runtime does not build (use the torch runtime)."""


class _Graph:
    """Collects nodes and weights; each helper returns the name of its output."""

    def __init__(self) -> None:
        from onnx import helper

        self._helper = helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def weight(self, hint: str, array: np.ndarray) -> str:
        from onnx import numpy_helper

        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(self, kind: str, inputs: Sequence[str], **attributes: Any) -> str:
        out = self.name(kind.lower())
        self.nodes.append(self._helper.make_node(kind, list(inputs), [out], **attributes))
        return out

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray, hint: str) -> str:
        """x @ weight.T + bias, as torch's Linear stores weight (out, in)."""
        product = self.op("MatMul", [x, self.weight(f"{hint}_w", weight.T)])
        return self.op("Add", [product, self.weight(f"{hint}_b", bias)])

    def layer_norm(self, x: str, weight: np.ndarray, bias: np.ndarray, epsilon: float, hint: str) -> str:
        return self.op(
            "LayerNormalization",
            [x, self.weight(f"{hint}_g", weight), self.weight(f"{hint}_b", bias)],
            axis=-1,
            epsilon=epsilon,
        )


def _check_modules(folder: Path) -> tuple[str, bool]:
    """(pooling mode, normalise) from the folder's module list, or UnsupportedModel."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UnsupportedModel(f"not a sentence-transformers folder ({exc})") from exc
    if config.get("model_type") != "bert" or config.get("position_embedding_type", "absolute") != "absolute":
        raise UnsupportedModel(f"model type '{config.get('model_type')}' is not a BERT encoder")
    if config.get("hidden_act") != "gelu":
        raise UnsupportedModel(f"activation '{config.get('hidden_act')}' is not built here")
    kinds = [m.get("type") for m in modules]
    if kinds[:2] != [_TRANSFORMER, _POOLING] or any(k != _NORMALIZE for k in kinds[2:]):
        raise UnsupportedModel(f"modules {kinds} are not Transformer, Pooling[, Normalize]")
    pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
    modes = [k for k, on in pooling.items() if k.startswith("pooling_mode_") and on]
    if modes not in (["pooling_mode_mean_tokens"], ["pooling_mode_cls_token"]):
        raise UnsupportedModel(f"pooling {modes} is not mean or CLS")
    return ("mean" if modes == ["pooling_mode_mean_tokens"] else "cls"), len(kinds) == 3


def _build_encoder(
    weights: dict[str, np.ndarray], config: dict[str, Any], inner_layers: Sequence[int] = ()
) -> bytes:
    """The BERT encoder as a serialized ONNX model: (input_ids, attention_bias) -> hidden states,
    the last layer's as ``hidden`` and each of ``inner_layers``' (counted from 1) as ``hidden_N``."""
    from onnx import TensorProto, helper

    graph = _Graph()
    heads = int(config["num_attention_heads"])
    hidden = int(config["hidden_size"])
    size = hidden // heads
    epsilon = float(config.get("layer_norm_eps", 1e-12))

    def w(key: str) -> np.ndarray:
        return weights[key]

    def dense(x: str, prefix: str) -> str:
        return graph.linear(x, w(f"{prefix}.weight"), w(f"{prefix}.bias"), prefix.rsplit(".", 1)[-1])

    def norm(x: str, prefix: str) -> str:
        return graph.layer_norm(x, w(f"{prefix}.weight"), w(f"{prefix}.bias"), epsilon, "ln")

    # Embeddings: word + position (the input gives 0..length-1) + token type 0.
    words = graph.op("Gather", [graph.weight("word", w("embeddings.word_embeddings.weight")), "input_ids"])
    table = graph.weight("pos", w("embeddings.position_embeddings.weight"))
    x = graph.op("Add", [words, graph.op("Gather", [table, "positions"])])
    x = graph.op("Add", [x, graph.weight("type", w("embeddings.token_type_embeddings.weight")[0])])
    x = norm(x, "embeddings.LayerNorm")

    split_heads = graph.weight("shape_heads", np.array([0, 0, heads, size], dtype=np.int64))
    merge_heads = graph.weight("shape_merge", np.array([0, 0, hidden], dtype=np.int64))
    scale = graph.weight("scale", np.array(1.0 / math.sqrt(size), dtype=np.float32))
    half = graph.weight("half", np.array(0.5, dtype=np.float32))
    one = graph.weight("one", np.array(1.0, dtype=np.float32))
    root_two = graph.weight("root_two", np.array(math.sqrt(2.0), dtype=np.float32))
    outputs = []
    for layer in range(int(config["num_hidden_layers"])):
        pre = f"encoder.layer.{layer}."

        def by_head(part: str, x: str = x, pre: str = pre) -> str:
            out = dense(x, f"{pre}attention.self.{part}")
            return graph.op("Transpose", [graph.op("Reshape", [out, split_heads])], perm=[0, 2, 1, 3])

        query, key, value = by_head("query"), by_head("key"), by_head("value")
        scores = graph.op("MatMul", [query, graph.op("Transpose", [key], perm=[0, 1, 3, 2])])
        scores = graph.op("Add", [graph.op("Mul", [scores, scale]), "attention_bias"])
        context = graph.op("MatMul", [graph.op("Softmax", [scores], axis=-1), value])
        context = graph.op("Reshape", [graph.op("Transpose", [context], perm=[0, 2, 1, 3]), merge_heads])
        attended = dense(context, f"{pre}attention.output.dense")
        x = norm(graph.op("Add", [attended, x]), f"{pre}attention.output.LayerNorm")
        inner = dense(x, f"{pre}intermediate.dense")
        # GELU as BERT defines it (erf, not the tanh approximation).
        erf = graph.op("Erf", [graph.op("Div", [inner, root_two])])
        inner = graph.op("Mul", [graph.op("Mul", [inner, half]), graph.op("Add", [erf, one])])
        x = norm(graph.op("Add", [dense(inner, f"{pre}output.dense"), x]), f"{pre}output.LayerNorm")
        if layer + 1 in inner_layers:
            graph.nodes.append(helper.make_node("Identity", [x], [f"hidden_{layer + 1}"]))
            outputs.append(f"hidden_{layer + 1}")
    graph.nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    model = helper.make_model(
        helper.make_graph(
            graph.nodes,
            "bert_encoder",
            [
                helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "length"]),
                helper.make_tensor_value_info("positions", TensorProto.INT64, ["length"]),
                helper.make_tensor_value_info("attention_bias", TensorProto.FLOAT, ["batch", 1, 1, "length"]),
            ],
            [
                helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", "length", hidden])
                for name in ["hidden", *outputs]
            ],
            graph.initializers,
        ),
        opset_imports=[helper.make_opsetid("", OPSET)],
    )
    serialized: bytes = model.SerializeToString()
    return serialized


def cache_folder(base: Path | None = None) -> Path:
    """Where built graphs are kept between runs (building one takes about a second)."""
    return (base or Path.home() / ".cache" / "support-assistant") / "onnx"


def _cached_encoder(
    folder: Path, config: dict[str, Any], cache: Path | None, inner_layers: Sequence[int] = ()
) -> bytes | Path:
    """The encoder graph: read from ``cache`` when built before from these very files, else built
    (and saved there when the folder is writable; a read-only home only costs the rebuild)."""
    weights_file = folder / "model.safetensors"
    try:
        stat = weights_file.stat()
    except OSError as exc:
        raise UnsupportedModel(f"no model.safetensors ({exc})") from exc
    key = hashlib.sha256(
        f"{GRAPH_VERSION}|{OPSET}|{weights_file.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|"
        f"{json.dumps(config, sort_keys=True)}{f'|{list(inner_layers)}' if inner_layers else ''}".encode()
    ).hexdigest()[:24]
    if cache is not None and (cache / f"{key}.onnx").is_file():
        return cache / f"{key}.onnx"
    from safetensors.numpy import load_file

    weights = load_file(str(weights_file))
    # Checkpoints saved from BertModel have bare keys; from BertFor… they carry a "bert." prefix.
    weights = {name.removeprefix("bert."): value for name, value in weights.items()}
    try:
        built = _build_encoder(weights, config, inner_layers)
    except KeyError as exc:
        raise UnsupportedModel(f"the weights lack {exc}") from exc
    if cache is not None:
        try:
            cache.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=cache, suffix=".part", delete=False) as part:
                part.write(built)
            os.replace(part.name, cache / f"{key}.onnx")
        except OSError:
            pass
    return built


class OnnxBertEncoder:
    """Encodes texts as the sentence-transformers folder would, on ONNX Runtime."""

    def __init__(
        self,
        path: str,
        *,
        threads: int | None = None,
        cache: Path | None = None,
        inner_layers: Sequence[int] = (),
    ):
        folder = Path(path)
        self._pooling, self._normalize = _check_modules(folder)
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        settings = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        from onnxruntime import GraphOptimizationLevel, InferenceSession, SessionOptions
        from tokenizers import Tokenizer

        depth = int(config["num_hidden_layers"])
        inner = sorted(set(inner_layers))
        if any(not 1 <= layer < depth for layer in inner):
            raise UnsupportedModel(f"inner layers {inner} are not among 1..{depth - 1}")
        self._outputs = ["hidden", *(f"hidden_{layer}" for layer in inner)]
        encoder = _cached_encoder(folder, config, cache, inner)
        options = SessionOptions()
        options.graph_optimization_level = GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.log_severity_level = 3
        try:
            source = str(encoder) if isinstance(encoder, Path) else encoder
            self._session = InferenceSession(source, options, providers=["CPUExecutionProvider"])
        except Exception:  # a cached file cut short (a crash mid-write elsewhere): build afresh
            if not isinstance(encoder, Path):
                raise
            encoder.unlink(missing_ok=True)
            built = _cached_encoder(folder, config, cache, inner)
            self._session = InferenceSession(built, options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        limit = min(int(settings.get("max_seq_length", 512)), int(config["max_position_embeddings"]))
        self._tokenizer.enable_truncation(max_length=limit)
        #: The last layer's part (the sentence embedding), then each inner layer's.
        self.sentence_dimension = int(config["hidden_size"])
        self.dimension = self.sentence_dimension * len(self._outputs)

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """One unit-length (when the folder normalises) vector per text, in order."""
        encodings = self._tokenizer.encode_batch(list(texts))
        # Batches of similar length waste less on padding (sentence-transformers does the same).
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        vectors = np.zeros((len(encodings), self.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            length = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), length), dtype=np.int64)
            mask = np.zeros((len(rows), length), dtype=np.float32)
            for row, index in enumerate(rows):
                count = len(encodings[index].ids)
                ids[row, :count] = encodings[index].ids
                mask[row, :count] = 1.0
            bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
            states = self._session.run(
                self._outputs,
                {"input_ids": ids, "positions": np.arange(length, dtype=np.int64), "attention_bias": bias},
            )
            # Each layer's part is pooled (and normalised) alone, then all are scaled alike so
            # that the whole is as long as one part (the last layer alone is left as it is).
            pooled = [self._pool(hidden, mask) for hidden in states]
            vectors[rows] = np.hstack(pooled) / np.sqrt(len(pooled))
        return vectors

    def _pool(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self._pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[:, :, None]
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        if self._normalize:
            pooled = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled.astype(np.float32)
