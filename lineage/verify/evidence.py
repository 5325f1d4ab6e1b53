"""What a model's cheap metadata says about its shape: ``ModelEvidence``.

Gathered once per repo, at its commit, from files that cost almost nothing to read and never
from weights: ``config.json`` (already read with the metadata), the safetensors header (two
range reads: the 8-byte length, then the JSON) or the Hub's own ``safetensors`` parameter
counts when the metadata carries them (then no header is read), the PEFT adapter's header
and ``adapter_config.json``, the GGUF header the resolver already reads, a mergekit recipe's
slices, and the tokenizer files' ids from the file listing (no download).

``evidence_reads`` says which reads ``collect_evidence`` will make first, so the resolver can
send them in the same round as the repo's other files. Everything here is plain JSON data
(``to_json``/``from_json``), cached by commit sha like the resolver's facts. A read that fails
or a file that is malformed becomes a line in ``problems``, never an exception: verification
then says what it could not check.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lineage.errors import MlbomError, ParseError
from lineage.parsers.gguf_header import parse_gguf_header
from lineage.parsers.safe import load_json, load_yaml
from lineage.parsers.safetensors_header import (
    PREFIX_BYTES,
    SafetensorsHeader,
    TensorInfo,
    header_length,
    parse_safetensors_header,
    parse_safetensors_index,
)
from lineage.refs import clip
from lineage.sources.interface import GGUF_HEADER_BYTES, RepoSnapshot

EVIDENCE_FORMAT = 4
ADAPTER_WEIGHTS = "adapter_model.safetensors"
INDEX_FILE = "model.safetensors.index.json"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tiktoken.model", "vocab.json")
MERGEKIT_FILES = ("mergekit_config.yml", "mergekit_config.yaml")
DIFFUSERS_FILES = ("model_index.json", "unet/config.json")
# a diffusers UNet's dimensions (the pipeline's shape), as config keys
UNET_KEYS = ("cross_attention_dim", "in_channels", "layers_per_block", "sample_size",
             "block_out_channels")
GGUF_KEYS_READ = 512 * 1024  # the architecture keys come before the tokenizer's arrays
# The first read of a safetensors file: its 8-byte length and, in the common case, the whole
# header JSON in one round trip (the length is known only from those 8 bytes). Real headers:
# 16.8 KB for Llama-3.2-1B, 34 KB for Llama-3.1-8B, 39 KB for Qwen2.5-7B, 60 KB for an 8B LoRA
# on all seven linear modules (fixtures/verify_hub.py, the families' tensor lists); "97% of
# safetensors files have a metadata size < 100kb (over the top 1000 models on the Hub)"
# (huggingface_hub, HfApi.parse_safetensors_file_metadata, which reads 100 kB first too).
HEADER_GUESS_BYTES = 100_000
_SHARD = re.compile(r"^model-(\d{5})-of-(\d{5})\.safetensors$")
_OTHER_TOWERS = ("vision", "visual", "image", "audio", "mm_projector", "multi_modal")
_INT_DTYPES = frozenset({"U32", "I32", "U8", "I8", "U16", "I16"})
_LAYER = re.compile(r"(?:^|\.)(?:layers|h|blocks|block|layer|blk)\.(\d+)\.")
# config.json spellings of one dimension, first match wins (GPT-2, BLOOM, Falcon, T5 names)
CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "hidden_size": ("hidden_size", "n_embd", "d_model", "dim"),
    "intermediate_size": ("intermediate_size", "n_inner", "ffn_dim", "d_ff"),
    "num_hidden_layers": ("num_hidden_layers", "n_layer", "num_layers", "n_layers"),
    "num_attention_heads": ("num_attention_heads", "n_head", "num_heads", "n_heads"),
    "num_key_value_heads": ("num_key_value_heads", "n_kv_heads", "num_kv_heads"),
    "head_dim": ("head_dim",),
    "vocab_size": ("vocab_size", "n_vocab"),
}
ReadFile = Callable[[str], bytes]
ReadRange = Callable[[str, int, int], bytes]


@dataclass
class TensorSummary:
    """What one safetensors header (a whole model, one shard, or an adapter) shows."""

    file: str
    count: int = 0
    layers: int | None = None  # highest layer index seen + 1
    all_layers: bool = False  # the names seen cover the whole model (single file or index)
    embedding: list[int] | None = None  # [rows (vocab), hidden]
    lm_head: list[int] | None = None
    norm_width: int | None = None  # a per-layer norm's length: the hidden size, never packed
    packing: str | None = None  # gptq/awq (qweight), bnb-4bit, bnb-8bit, or None
    dtypes: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)  # linear module names (q_proj, ...)
    linears: dict[str, list[int]] = field(default_factory=dict)  # module -> stored shape
    lora: dict[str, list[int]] = field(default_factory=dict)  # module -> [r, in, out]
    fingerprint: str | None = None  # sha256 of the sorted (name, dtype, shape) entries
    params: dict[str, int] = field(default_factory=dict)  # parameters per dtype, this file's


@dataclass
class ModelEvidence:
    config: dict[str, Any] = field(default_factory=dict)  # the dimensions in CONFIG_KEYS
    model_type: str | None = None
    text_model_type: str | None = None  # a multimodal model's language model (text_config)
    architecture: str | None = None
    tie_word_embeddings: bool | None = None
    quant: dict[str, Any] = field(default_factory=dict)  # quant_method, bits, group_size
    tensors: TensorSummary | None = None
    hub_params: dict[str, int] = field(default_factory=dict)  # the Hub's counts by dtype
    hub_params_total: int | None = None
    index_total_size: int | None = None
    adapter: TensorSummary | None = None
    adapter_config: dict[str, Any] = field(default_factory=dict)  # r, target_modules, ...
    gguf: dict[str, Any] = field(default_factory=dict)  # arch, layers, width, ffn, heads, vocab
    merge: dict[str, Any] = field(default_factory=dict)  # method, slices [[model, a, b]]
    tokenizer: dict[str, str] = field(default_factory=dict)  # file -> lfs sha256 / blob id
    problems: list[str] = field(default_factory=list)

    def has_shape(self) -> bool:
        return bool(self.config or self.gguf or self.model_type
                    or (self.tensors and self.tensors.count))


def _weights_file(snap: RepoSnapshot) -> tuple[str | None, bool]:
    """The safetensors file whose header describes the model, and whether it is a shard."""
    names = {s.name for s in snap.siblings}
    if "model.safetensors" in names:
        return "model.safetensors", False
    shards = sorted(n for n in names if _SHARD.match(n))
    return (shards[0], True) if shards else (None, False)


def _hub_params(snap: RepoSnapshot) -> tuple[dict[str, int], int | None]:
    st = snap.raw.get("safetensors") if isinstance(snap.raw, dict) else None
    if not isinstance(st, dict) or not isinstance(st.get("parameters"), dict):
        return {}, None
    params = {str(k)[:16]: v for k, v in list(st["parameters"].items())[:32]
              if isinstance(v, int) and not isinstance(v, bool) and v >= 0}
    # the per-dtype counts, summed: the answer's own "total" can come from a hand-written
    # metadata value in the repo and be wrong (huggingface/huggingface_hub#4221)
    return params, sum(params.values()) if params else None


def wants_weights_header(snap: RepoSnapshot, declares_parent: bool) -> bool:
    """Whether the model's own safetensors header is read: not when the Hub's parameter
    counts describe the weights, and not for a model that declares no parent but has a
    ``config.json`` (its config is what its children are compared with; the header is read
    later, and only when another model shares its config and tokenizer: ``fill_headers``)."""
    names = {s.name for s in snap.siblings}
    if _hub_params(snap)[0] or _weights_file(snap)[0] is None:
        return False
    return declares_parent or "config.json" not in names


def evidence_reads(snap: RepoSnapshot, declares_parent: bool = True
                   ) -> tuple[list[str], list[tuple[str, int, int]]]:
    """The small files and ``(file, offset, bytes)`` ranges ``collect_evidence`` reads
    first: ``config.json``, an adapter's config and header length, the model's header length
    (see ``wants_weights_header``) with the shard index, the GGUF head. ``declares_parent``:
    as far as the metadata shows."""
    names = {s.name for s in snap.siblings}
    files = [f for f in ("config.json", "adapter_config.json", *MERGEKIT_FILES,
                         *DIFFUSERS_FILES) if f in names]
    ranges: list[tuple[str, int, int]] = []
    if ADAPTER_WEIGHTS in names:
        ranges.append((ADAPTER_WEIGHTS, 0, header_guess(snap, ADAPTER_WEIGHTS)))
    weights, sharded = _weights_file(snap)
    if weights and wants_weights_header(snap, declares_parent):
        ranges.append((weights, 0, header_guess(snap, weights)))
        if sharded and INDEX_FILE in names:
            files.append(INDEX_FILE)
    ggufs = sorted(n for n in names if n.lower().endswith(".gguf"))
    if ggufs:
        ranges.append((ggufs[0], 0, GGUF_HEADER_BYTES))
    return files, ranges


def collect_evidence(snap: RepoSnapshot, read_file: ReadFile, read_range: ReadRange,
                     declares_parent: bool = True) -> ModelEvidence:
    """Everything ``evidence_reads`` plans, plus the header JSON whose length it learns.
    ``declares_parent``: the repo's extracted facts name a parent."""
    ev = ModelEvidence()
    names = {s.name for s in snap.siblings}
    ev.tokenizer = _tokenizer_ids(snap)
    ev.hub_params, ev.hub_params_total = _hub_params(snap)
    small: dict[str, Callable[[ModelEvidence, str, bytes], None]] = {
        "config.json": _read_config, "adapter_config.json": _read_adapter_config,
        **dict.fromkeys(MERGEKIT_FILES, _read_recipe),
        "model_index.json": _read_model_index, "unet/config.json": _read_unet_config}
    for name, parse in small.items():
        if name in names:
            _guarded(ev, name, functools.partial(_parse_file, ev, name, parse, read_file))
    if ADAPTER_WEIGHTS in names:
        _guarded(ev, ADAPTER_WEIGHTS, lambda: _read_adapter(ev, snap, read_range))
    if ev.model_type is None and isinstance(snap.config, dict):  # the metadata's own summary
        mt, archs = snap.config.get("model_type"), snap.config.get("architectures")
        ev.model_type = clip(mt, 80) if isinstance(mt, str) else None
        if isinstance(archs, list) and archs and isinstance(archs[0], str):
            ev.architecture = clip(archs[0], 120)
    weights, sharded = _weights_file(snap)
    if weights and wants_weights_header(snap, declares_parent):
        read_weights_header(ev, snap, read_file, read_range)
    ggufs = sorted(n for n in names if n.lower().endswith(".gguf"))
    if ggufs:
        _guarded(ev, ggufs[0], lambda: _read_gguf(ev, ggufs[0], read_range))
    return ev


def _parse_file(ev: ModelEvidence, name: str,
                parse: Callable[[ModelEvidence, str, bytes], None], read_file: ReadFile) -> None:
    parse(ev, name, read_file(name))


def read_weights_header(ev: ModelEvidence, snap: RepoSnapshot, read_file: ReadFile,
                        read_range: ReadRange) -> None:
    """Fill ``ev.tensors`` from the model's safetensors header (and shard index)."""
    weights, sharded = _weights_file(snap)
    if weights is not None:
        names = {s.name for s in snap.siblings}
        _guarded(ev, weights, lambda: _read_weights(ev, snap, weights, sharded, names,
                                                    read_file, read_range))


def _guarded(ev: ModelEvidence, name: str, step: Callable[[], None]) -> None:
    try:
        step()
    except MlbomError as exc:
        message = exc.message if name in exc.message else f"{name}: {exc.message}"
        ev.problems.append(clip(message, 200))


def _tokenizer_ids(snap: RepoSnapshot) -> dict[str, str]:
    out: dict[str, str] = {}
    raw = snap.raw.get("siblings") if isinstance(snap.raw, dict) else None
    for s in raw if isinstance(raw, list) else []:
        if not isinstance(s, dict) or s.get("rfilename") not in TOKENIZER_FILES:
            continue
        lfs = s.get("lfs")
        digest = lfs.get("sha256") if isinstance(lfs, dict) else s.get("blobId")
        if isinstance(digest, str) and 20 <= len(digest) <= 64:
            out[str(s["rfilename"])] = digest.lower()
    for entry in snap.siblings if not out else ():  # a local folder: hashes computed on disk
        if entry.name in TOKENIZER_FILES and entry.sha256:
            out[entry.name] = entry.sha256
    return out


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
        else None


def _read_config(ev: ModelEvidence, _name: str, data: bytes) -> None:
    cfg = load_json(data, file="config.json", max_bytes=4 * 1024 * 1024)
    if not isinstance(cfg, dict):
        raise ParseError("is not an object", file="config.json")
    text = cfg.get("text_config")
    dims_from = text if isinstance(text, dict) and "hidden_size" not in cfg else cfg
    for dim, spellings in CONFIG_KEYS.items():
        value = next((_int(dims_from.get(k)) for k in spellings
                      if _int(dims_from.get(k)) is not None), None)
        if value is not None:
            ev.config[dim] = value
    mt, archs = cfg.get("model_type"), cfg.get("architectures")
    ev.model_type = clip(mt, 80) if isinstance(mt, str) else None
    text_mt = dims_from.get("model_type") if dims_from is not cfg else None
    if isinstance(text_mt, str):
        ev.text_model_type = clip(text_mt, 80)
    if isinstance(archs, list) and archs and isinstance(archs[0], str):
        ev.architecture = clip(archs[0], 120)
    tie = dims_from.get("tie_word_embeddings", cfg.get("tie_word_embeddings"))
    ev.tie_word_embeddings = tie if isinstance(tie, bool) else None
    q = cfg.get("quantization_config")
    mlx = cfg.get("quantization")
    if not isinstance(q, dict) and isinstance(mlx, dict) and _int(mlx.get("bits")):
        q = {"quant_method": "mlx", **mlx}
    if isinstance(q, dict):
        method = q.get("quant_method") or ("bitsandbytes" if q.get("load_in_4bit")
                                           or q.get("load_in_8bit") else None)
        bits = _int(q.get("bits")) or (4 if q.get("load_in_4bit") else
                                       8 if q.get("load_in_8bit") else None)
        ev.quant = {"method": clip(str(method), 40).lower() if method else "unknown",
                    "bits": bits, "group_size": q.get("group_size")
                    if isinstance(q.get("group_size"), int) else None}


def _read_model_index(ev: ModelEvidence, name: str, data: bytes) -> None:
    """A diffusers pipeline: its class is its architecture (``StableDiffusionPipeline``)."""
    index = load_json(data, file=name, max_bytes=1024 * 1024)
    cls = index.get("_class_name") if isinstance(index, dict) else None
    if isinstance(cls, str) and ev.model_type is None:
        ev.model_type = ev.architecture = clip(cls, 120)


def _read_unet_config(ev: ModelEvidence, name: str, data: bytes) -> None:
    cfg = load_json(data, file=name, max_bytes=1024 * 1024)
    if not isinstance(cfg, dict):
        raise ParseError("is not an object", file=name)
    for key in UNET_KEYS:
        value = cfg.get(key)
        if _int(value) is not None:
            ev.config[f"unet.{key}"] = value
        elif isinstance(value, list) and value and all(_int(v) is not None for v in value[:16]):
            ev.config[f"unet.{key}"] = value[:16]


def _read_adapter_config(ev: ModelEvidence, _name: str, data: bytes) -> None:
    cfg = load_json(data, file="adapter_config.json", max_bytes=1024 * 1024)
    if not isinstance(cfg, dict):
        raise ParseError("is not an object", file="adapter_config.json")
    targets = cfg.get("target_modules")
    if isinstance(targets, list):
        ev.adapter_config["target_modules"] = sorted(
            {clip(t, 80) for t in targets[:200] if isinstance(t, str)})
    elif isinstance(targets, str):
        ev.adapter_config["target_modules"] = clip(targets, 300)  # a regex: not compared
    for key in ("r", "peft_type"):
        if isinstance(cfg.get(key), (int, str)) and not isinstance(cfg.get(key), bool):
            ev.adapter_config[key] = cfg[key] if isinstance(cfg[key], int) else clip(cfg[key], 40)


def header_guess(snap: RepoSnapshot, name: str) -> int:
    """How many bytes the first read of safetensors file ``name`` asks for:
    ``HEADER_GUESS_BYTES``, or the whole file when the listing says it is smaller."""
    size = next((s.size for s in snap.siblings if s.name == name), None)
    if isinstance(size, int) and size > 0:
        return min(HEADER_GUESS_BYTES, size)
    return HEADER_GUESS_BYTES


def _read_header(name: str, guess: int, read_range: ReadRange) -> SafetensorsHeader:
    """The header, from one read of ``guess`` bytes when it holds it, else with one more read
    of exactly the bytes it lacks (the length is capped before that read is made)."""
    first = read_range(name, 0, guess)
    n = header_length(first, file=name)
    end = PREFIX_BYTES + n
    if len(first) >= end:
        data = first[PREFIX_BYTES:end]
    elif len(first) < guess or guess < HEADER_GUESS_BYTES:  # the file ended inside the header
        raise ParseError(f"header cut short ({len(first) - PREFIX_BYTES} of {n} bytes)",
                         file=name)
    else:
        data = first[PREFIX_BYTES:] + read_range(name, len(first), end - len(first))
    if len(data) < n:
        raise ParseError(f"header cut short ({len(data)} of {n} bytes)", file=name)
    return parse_safetensors_header(data, file=name)


def _read_adapter(ev: ModelEvidence, snap: RepoSnapshot, read_range: ReadRange) -> None:
    header = _read_header(ADAPTER_WEIGHTS, header_guess(snap, ADAPTER_WEIGHTS), read_range)
    ev.adapter = summarise(header, ADAPTER_WEIGHTS)


def _read_weights(ev: ModelEvidence, snap: RepoSnapshot, name: str, sharded: bool,
                  names: set[str], read_file: ReadFile, read_range: ReadRange) -> None:
    summary = summarise(_read_header(name, header_guess(snap, name), read_range), name)
    summary.all_layers = not sharded
    if sharded and INDEX_FILE in names:
        try:
            index = parse_safetensors_index(read_file(INDEX_FILE))
            layers = [int(m.group(1)) for t in index.weight_map if (m := _LAYER.search(t))]
            summary.layers = max(layers) + 1 if layers else summary.layers
            summary.all_layers = True
            ev.index_total_size = index.total_size
        except MlbomError as exc:
            ev.problems.append(clip(f"{INDEX_FILE}: {exc.message}", 200))
    ev.tensors = summary


def _module(name: str) -> str | None:
    """``model.layers.0.self_attn.q_proj.weight`` → ``q_proj`` (the linear's own name)."""
    parts = name.split(".")
    for i, part in enumerate(parts):
        if part in ("lora_A", "lora_B", "weight", "qweight", "qzeros", "scales", "g_idx") \
                and i > 0:
            return parts[i - 1]
    return None


def summarise(header: SafetensorsHeader, file: str) -> TensorSummary:
    """The facts verification compares, from one header (model, shard or adapter)."""
    out = TensorSummary(file=file, count=len(header.tensors))
    layers: set[int] = set()
    dtypes: set[str] = set()
    modules: set[str] = set()
    lora_a: dict[str, tuple[int, ...]] = {}
    lora_b: dict[str, tuple[int, ...]] = {}
    for name, info in header.tensors.items():
        dtypes.add(info.dtype)
        m = _LAYER.search(name)
        if m:
            layers.add(int(m.group(1)))
        _note_tensor(out, name, info, modules, lora_a, lora_b)
    if out.packing == "int-packed" and any(n.endswith(".biases") for n in header.tensors):
        out.packing = "mlx"
    out.layers = max(layers) + 1 if layers else None
    out.dtypes = sorted(dtypes)
    out.modules = sorted(modules)
    for mod, a in lora_a.items():
        b = lora_b.get(mod)
        if len(a) == 2 and b is not None and len(b) == 2:
            out.lora[mod] = [a[0], a[1], b[0]]  # A: [r, in], B: [out, r]
    digest = hashlib.sha256()
    for name in sorted(header.tensors):
        info = header.tensors[name]
        digest.update(f"{name}|{info.dtype}|{list(info.shape)}\n".encode())
        out.params[info.dtype] = out.params.get(info.dtype, 0) + math.prod(info.shape)
    out.fingerprint = digest.hexdigest()
    return out


def _note_tensor(out: TensorSummary, name: str, info: TensorInfo, modules: set[str],
                 lora_a: dict[str, tuple[int, ...]], lora_b: dict[str, tuple[int, ...]]) -> None:
    shape = list(info.shape)
    if any(part in name for part in _OTHER_TOWERS):
        return  # a vision or audio tower has its own dimensions: the language model is compared
    if name.endswith(".biases"):
        out.packing = out.packing or "mlx"  # MLX: uint32 weights with scales and biases
    if info.dtype in _INT_DTYPES and name.endswith(".weight") and not name.endswith(
            ("absmax", "quant_map")) and out.packing is None and info.dtype != "U8":
        out.packing = "int-packed"  # packed by a scheme not known here: shapes not compared
    if name.endswith(("embed_tokens.weight", "wte.weight", "word_embeddings.weight",
                      "tok_embeddings.weight")) and len(shape) == 2:
        if info.dtype not in _INT_DTYPES:  # a packed embedding's width is not the hidden size
            out.embedding = shape
    elif name.endswith("lm_head.weight") and len(shape) == 2:
        out.lm_head = shape
    elif name.endswith(("input_layernorm.weight", "ln_1.weight", "attention_norm.weight")) \
            and len(shape) == 1:
        out.norm_width = shape[0]
    if name.endswith(".qweight"):
        out.packing = "gptq/awq"
    elif name.endswith((".absmax", "quant_state.bitsandbytes__nf4",
                        "quant_state.bitsandbytes__fp4")):
        out.packing = "bnb-4bit"
    elif name.endswith(".SCB") and out.packing is None:
        out.packing = "bnb-8bit"
    mod = _module(name)
    if mod is None or not _LAYER.search(name):
        return
    if ".lora_A." in name:
        lora_a.setdefault(mod, info.shape)
    elif ".lora_B." in name:
        lora_b.setdefault(mod, info.shape)
    elif len(shape) == 2 and (name.endswith(".weight") or name.endswith(".qweight")):
        modules.add(mod)
        out.linears.setdefault(mod, shape)


def _read_recipe(ev: ModelEvidence, name: str, data: bytes) -> None:
    value, _ = load_yaml(data.decode("utf-8", errors="replace"), file=name,
                         max_bytes=512 * 1024)
    if not isinstance(value, dict):
        return
    method = value.get("merge_method")
    ev.merge["method"] = clip(method, 40).lower() if isinstance(method, str) else None
    slices: list[list[Any]] = []
    for sl in value.get("slices") or [] if isinstance(value.get("slices"), list) else []:
        for src in (sl.get("sources") or []) if isinstance(sl, dict) else []:
            if not isinstance(src, dict) or not isinstance(src.get("model"), str):
                continue
            rng = src.get("layer_range")
            if isinstance(rng, list) and len(rng) == 2 and all(_int(x) is not None
                                                               for x in rng):
                slices.append([clip(src["model"].strip(), 200), rng[0], rng[1]])
    ev.merge["slices"] = slices[:500]


def _read_gguf(ev: ModelEvidence, name: str, read_range: ReadRange) -> None:
    header = parse_gguf_header(read_range(name, 0, GGUF_HEADER_BYTES)[:GGUF_KEYS_READ],
                               file=name)
    kv = header.kv
    arch = kv.get("general.architecture")
    if not isinstance(arch, str):
        return
    out: dict[str, Any] = {"architecture": clip(arch, 40)}
    for key, dim in (("block_count", "num_hidden_layers"), ("embedding_length", "hidden_size"),
                     ("feed_forward_length", "intermediate_size"),
                     ("attention.head_count", "num_attention_heads"),
                     ("attention.head_count_kv", "num_key_value_heads"),
                     ("vocab_size", "vocab_size")):
        value = _int(kv.get(f"{arch}.{key}"))
        if value is not None:
            out[dim] = value
    tokens = header.array_counts.get("tokenizer.ggml.tokens")
    if "vocab_size" not in out and tokens is not None:
        out["vocab_size"] = tokens
    ev.gguf = out


@functools.cache
def evidence_version() -> str:
    """A digest of the code that gathers evidence: a cached record is reused only by it."""
    from lineage.extract import facts_version

    digest = hashlib.sha256(f"{EVIDENCE_FORMAT}:{facts_version()}".encode())
    with contextlib.suppress(OSError):  # a frozen install: the format and facts version
        digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


def evidence_record_name() -> str:
    """The name evidence is cached under beside a repo's metadata (``Source.store_derived``)."""
    return f"evidence-{evidence_version()}.json"


def to_json(ev: ModelEvidence) -> bytes:
    return json.dumps({"format": EVIDENCE_FORMAT, **asdict(ev)}).encode()


def from_json(data: bytes) -> ModelEvidence | None:
    """The evidence ``to_json`` wrote, or ``None`` when ``data`` is not such a record."""
    try:
        d = json.loads(data)
        if not isinstance(d, dict) or d.pop("format", None) != EVIDENCE_FORMAT:
            return None
        for key in ("tensors", "adapter"):
            if d.get(key) is not None:
                d[key] = TensorSummary(**d[key])
        return ModelEvidence(**d)
    except (ValueError, TypeError, RecursionError):
        return None
