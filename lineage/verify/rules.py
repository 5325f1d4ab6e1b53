"""The rules: can this child have been made from that parent in the way the edge says?

Each rule compares two ``ModelEvidence`` values and answers a ``Verdict``: ``inconsistent``
when the metadata shows the claim cannot be true, ``consistent`` when every shape compared
fits (possible, not proven: a consistent edge may still be false), ``unverifiable`` when
there was nothing to compare. The reason is one line naming the first mismatch or what was
compared.

- fine-tune: the same architecture and every dimension equal, except that the vocabulary may
  grow (added tokens add embedding rows). A model of another size is not a fine-tune of it
  (a distilled student names its teacher this way).
- adapter: every LoRA matrix fits the parent (lora_A's in-dim and lora_B's out-dim are the
  dimensions of the parent's module of that name), the target modules exist in the parent,
  and the adapter touches no layer the parent lacks.
- quantization: layer count and width kept; dtypes and stored shapes change with the packing
  (GPTQ/AWQ pack 32/bits values per int32, bitsandbytes flattens to uint8, GGUF blocks), so
  only unpacked dimensions are compared.
- merge: every parent has the child's shape, except a passthrough (depth up-scaling) recipe
  whose slices' layer ranges add up to the child's layer count, each within its source.
"""

from __future__ import annotations

from dataclasses import dataclass

from lineage.verify.evidence import ModelEvidence, TensorSummary

CONSISTENT = "consistent"
INCONSISTENT = "inconsistent"
UNVERIFIABLE = "unverifiable"
# a UNet's in_channels (inpainting adds mask channels) and sample_size (a 768 px fine-tune of a
# 512 px base) change in legitimate fine-tunes: they are not compared
STRICT_DIMS = ("num_hidden_layers", "hidden_size", "intermediate_size", "num_attention_heads",
               "num_key_value_heads", "head_dim", "unet.cross_attention_dim",
               "unet.layers_per_block", "unet.block_out_channels")
QUANT_DIMS = ("num_hidden_layers", "hidden_size", "intermediate_size")
# llama.cpp's architecture names for Hugging Face model types that differ from them (Mistral
# and Mixtral are written as "llama"); a name in neither column is not compared
GGUF_ARCH_OF = {"mistral": "llama", "mixtral": "llama", "phi": "phi2", "qwen2_moe": "qwen2moe",
                "gpt_neox": "gptneox", "deepseek_v2": "deepseek2", "cohere": "command-r",
                "gemma3_text": "gemma3"}
GGUF_KNOWN = frozenset({"llama", "qwen2", "qwen3", "gemma", "gemma2", "gemma3", "phi2", "phi3",
                        "falcon", "gpt2", "starcoder2", "bert", "gptneox", "qwen2moe",
                        "deepseek2", "command-r", "stablelm", "mamba", "t5"})
# embeddings are padded past the tokenizer (Qwen2.5-7B: 152064 rows, 151665 tokens) and a
# fine-tune may resize them to the tokenizer: fewer rows within this share are not a removal
VOCAB_TRIM = 0.01
PARAM_TOLERANCE = 0.01  # old checkpoints carry small buffers (rotary inv_freq) in the count
# linear modules per model_type, for adapters whose base header was not read
KNOWN_MODULES = {
    **dict.fromkeys(("llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text"),
                    ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                     "down_proj")),
    "phi3": ("qkv_proj", "o_proj", "gate_up_proj", "down_proj"),
    "gpt2": ("c_attn", "c_proj", "c_fc"),
}


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str


def _dims(ev: ModelEvidence) -> dict[str, int]:
    """The dimensions this evidence states: config first, GGUF header, then tensor shapes."""
    out = dict(ev.gguf) if ev.gguf else {}
    out.pop("architecture", None)
    out.update(ev.config)
    t = ev.tensors
    if t is not None:
        width = t.norm_width or (t.embedding[1] if t.embedding else None)
        if width and "hidden_size" not in out:
            out["hidden_size"] = width
        if t.layers and t.all_layers and "num_hidden_layers" not in out:
            out["num_hidden_layers"] = t.layers
        if t.embedding and "vocab_size" not in out:
            out["vocab_size"] = t.embedding[0]
    return out


def _with_defaults(d: dict[str, int]) -> dict[str, int]:
    """``d`` with the dimensions transformers derives when a config leaves them out: only
    for computing module shapes, never compared (one side may state what the other derives)."""
    out = dict(d)
    if "head_dim" not in out and out.get("hidden_size") and out.get("num_attention_heads"):
        out["head_dim"] = out["hidden_size"] // out["num_attention_heads"]
    if "num_key_value_heads" not in out and "num_attention_heads" in out:
        out["num_key_value_heads"] = out["num_attention_heads"]
    return out


def _family(ev: ModelEvidence) -> str | None:
    return ev.model_type or (ev.gguf.get("architecture") if ev.gguf else None)


def _base_type(model_type: str) -> str:
    return model_type.removesuffix("_text")  # gemma3 and its text-only gemma3_text


def _same_family(child: ModelEvidence, parent: ModelEvidence) -> str | None:
    """A mismatch line, or ``None`` when the architectures may be the same."""
    if child.model_type and parent.model_type:
        c_types = {_base_type(t) for t in (child.model_type, child.text_model_type) if t}
        p_types = {_base_type(t) for t in (parent.model_type, parent.text_model_type) if t}
        if not c_types & p_types:
            return (f"architecture {child.architecture or child.model_type} vs parent "
                    f"{parent.architecture or parent.model_type}")
        return None
    c = _gguf_name(child)
    p = _gguf_name(parent)
    if c and p and c in GGUF_KNOWN and p in GGUF_KNOWN and c != p:
        return f"architecture {c} vs parent {p}"
    return None


def _gguf_name(ev: ModelEvidence) -> str | None:
    """The llama.cpp architecture name of this model (the text model's for a multimodal one)."""
    if ev.gguf and isinstance(ev.gguf.get("architecture"), str):
        return str(ev.gguf["architecture"])
    name = ev.text_model_type or ev.model_type
    return GGUF_ARCH_OF.get(name, name) if name else None


def _mismatch(cd: dict[str, int], pd: dict[str, int], dims: tuple[str, ...]) -> str | None:
    for dim in dims:
        if dim in cd and dim in pd and cd[dim] != pd[dim]:
            return f"{dim} {cd[dim]} vs parent {pd[dim]}"
    return None


def _shape_line(d: dict[str, int], family: str | None) -> str:
    parts = [family] if family else []
    if "num_hidden_layers" in d:
        parts.append(f"{d['num_hidden_layers']} layers")
    if "hidden_size" in d:
        parts.append(f"hidden {d['hidden_size']}")
    if "vocab_size" in d:
        parts.append(f"vocab {d['vocab_size']}")
    if "unet.cross_attention_dim" in d:
        parts.append(f"UNet cross-attention {d['unet.cross_attention_dim']}")
    return ", ".join(parts)


def _unverifiable_sides(child: ModelEvidence, parent: ModelEvidence) -> Verdict | None:
    if not parent.has_shape():
        return Verdict(UNVERIFIABLE, "parent has no config or weights header to compare"
                       + _first_problem(parent))
    if not child.has_shape():
        return Verdict(UNVERIFIABLE, "child has no config or weights header to compare"
                       + _first_problem(child))
    return None


def _no_dims(child: ModelEvidence, parent: ModelEvidence) -> Verdict:
    same = _family(child) if _family(child) and _family(child) == _family(parent) else None
    start = f"architecture {same} matches, but no" if same else "no"
    return Verdict(UNVERIFIABLE, f"{start} dimension is stated on both sides"
                   + _first_problem(child) + _first_problem(parent))


def _sides_first(child: ModelEvidence, parent: ModelEvidence) -> Verdict | None:
    """What every shape rule decides first: a side with nothing to compare, or two model
    families that cannot be one lineage."""
    early = _unverifiable_sides(child, parent)
    if early:
        return early
    fam = _same_family(child, parent)
    return Verdict(INCONSISTENT, fam) if fam else None


def _first_problem(ev: ModelEvidence) -> str:
    return f" ({ev.problems[0]})" if ev.problems else ""


def check_finetune(child: ModelEvidence, parent: ModelEvidence) -> Verdict:
    first = _sides_first(child, parent)
    if first:
        return first
    cd, pd = _dims(child), _dims(parent)
    bad = _mismatch(cd, pd, STRICT_DIMS)
    if bad:
        return Verdict(INCONSISTENT, bad)
    bad = _packed_mismatch(child.tensors, pd, None)  # the weights may belie the config
    if bad:
        return Verdict(INCONSISTENT, bad)
    cv, pv = cd.get("vocab_size"), pd.get("vocab_size")
    if cv is not None and pv is not None and pv - cv > VOCAB_TRIM * pv:
        return Verdict(INCONSISTENT, f"vocab_size {cv} vs parent {pv} (a fine-tune may add "
                                     "tokens, not remove them)")
    compared = [d for d in STRICT_DIMS if d in cd and d in pd]
    if not compared:  # a parameter count alone is no shape (a repo may ship part of a model)
        return _no_dims(child, parent)
    bad = _params_mismatch(child, parent, cd, pd)
    if bad:
        return Verdict(INCONSISTENT, bad)
    line = _shape_line(pd, _family(parent))
    if cv is not None and pv is not None and cv > pv:
        line += f"; vocabulary grew {pv} -> {cv}"
    elif cv is not None and pv is not None and cv < pv:
        line += f"; embedding rows trimmed {pv} -> {cv} (padding beyond the tokenizer)"
    return Verdict(CONSISTENT, f"same shape: {line}")


def _params_mismatch(child: ModelEvidence, parent: ModelEvidence, cd: dict[str, int],
                     pd: dict[str, int]) -> str | None:
    """The Hub's parameter totals, allowing for added embedding rows and small buffers."""
    c, p = child.hub_params_total, parent.hub_params_total
    if c is None or p is None or child.quant or parent.quant or p == 0:
        return None
    grown = max(0, cd.get("vocab_size", 0) - pd.get("vocab_size", 0)) * cd.get("hidden_size", 0)
    allowance = 2 * grown + PARAM_TOLERANCE * p
    if abs(c - p) > allowance:
        return f"{c:,} parameters vs parent {p:,} (the Hub's counts of their safetensors)"
    return None


def check_quantized(child: ModelEvidence, parent: ModelEvidence) -> Verdict:
    first = _sides_first(child, parent)
    if first:
        return first
    cd, pd = _dims(child), _dims(parent)
    bad = _mismatch(cd, pd, QUANT_DIMS + ("num_attention_heads", "num_key_value_heads"))
    if bad:
        return Verdict(INCONSISTENT, bad)
    bad = _packed_mismatch(child.tensors, pd, child.quant.get("bits") if child.quant else None)
    if bad:
        return Verdict(INCONSISTENT, bad)
    if not any(d in cd and d in pd for d in QUANT_DIMS):
        return _no_dims(child, parent)
    how = child.quant.get("method") if child.quant else ("gguf" if child.gguf else None)
    packing = child.tensors.packing if child.tensors else None
    extra = f" ({how or packing})" if how or packing else ""
    return Verdict(CONSISTENT, f"layers and width kept{extra}: {_shape_line(pd, _family(parent))}")


def linear_fits(stored: list[int], want: tuple[int, int], packing: str | None,
                bits: int | None) -> bool:
    """Whether a linear stored as ``stored`` can be an (in, out) = ``want`` matrix.

    safetensors keeps torch's [out, in]. GPTQ packs 32/bits input rows per int32
    (qweight [in * bits / 32, out]); AWQ packs output columns ([in, out * bits / 32]);
    bitsandbytes 4-bit stores two values per byte in a flat [in * out / 2, 1]; 8-bit keeps
    [out, in] as int8."""
    dim_in, dim_out = want
    if packing == "int-packed":
        return True  # a packing not known here: nothing to compare
    if packing == "mlx":  # MLX: uint32 [out, in * bits / 32]
        pack = 32 // bits if bits and 32 % bits == 0 else 8
        return stored == [dim_out, dim_in // pack]
    if packing == "gptq/awq":
        pack = 32 // bits if bits and 32 % bits == 0 else 8
        return stored in ([dim_in // pack, dim_out], [dim_in, dim_out // pack])
    if packing == "bnb-4bit":
        return len(stored) == 2 and stored[0] * stored[1] * 2 == dim_in * dim_out
    return stored == [dim_out, dim_in]


def _packed_mismatch(t: TensorSummary | None, pd: dict[str, int], bits: int | None
                     ) -> str | None:
    if t is None:
        return None
    h = pd.get("hidden_size")
    if h and t.norm_width and t.norm_width != h:
        return f"layer norm width {t.norm_width} vs parent hidden_size {h}"
    if h and t.embedding and t.embedding[1] != h:
        return f"embedding width {t.embedding[1]} vs parent hidden_size {h}"
    n = pd.get("num_hidden_layers")
    if n and t.layers and t.all_layers and t.layers != n:
        return f"{t.layers} layers in the weights vs parent num_hidden_layers {n}"
    expected = expected_linears(_with_defaults(pd))
    for mod, stored in sorted(t.linears.items()):
        want = expected.get(mod)
        if want is not None and not linear_fits(stored, want, t.packing, bits):
            return (f"{mod} stored as {stored} ({t.packing or 'unpacked'}) does not fit parent "
                    f"{want[0]} x {want[1]}")
    return None


def expected_linears(d: dict[str, int]) -> dict[str, tuple[int, int]]:
    """(in, out) features of the usual decoder linears for dimensions ``d``."""
    h, i = d.get("hidden_size"), d.get("intermediate_size")
    nh, nkv, hd = d.get("num_attention_heads"), d.get("num_key_value_heads"), d.get("head_dim")
    out: dict[str, tuple[int, int]] = {}
    if h and nh and hd:
        q = nh * hd
        out.update(q_proj=(h, q), o_proj=(q, h))
        if nkv:
            out.update(k_proj=(h, nkv * hd), v_proj=(h, nkv * hd),
                       qkv_proj=(h, (nh + 2 * nkv) * hd))
    if h and i:
        out.update(gate_proj=(h, i), up_proj=(h, i), down_proj=(i, h), gate_up_proj=(h, 2 * i),
                   fc1=(h, i), fc2=(i, h), c_fc=(h, i))
    return out


def check_adapter(child: ModelEvidence, parent: ModelEvidence) -> Verdict:
    if not parent.has_shape():
        return Verdict(UNVERIFIABLE, "parent has no config or weights header to compare"
                       + _first_problem(parent))
    pd = _dims(parent)
    lora = child.adapter.lora if child.adapter else {}
    targets = child.adapter_config.get("target_modules")
    known = set(parent.tensors.modules) if parent.tensors and parent.tensors.modules else \
        set(KNOWN_MODULES.get(parent.model_type or "", ()))
    checked: list[str] = []
    for mod in sorted(set(lora) | (set(targets) if isinstance(targets, list) else set())):
        if known and mod not in known and mod not in ("lm_head", "embed_tokens"):
            return Verdict(INCONSISTENT, f"target module {mod} is not a module of the parent "
                                         f"({', '.join(sorted(known))})")
    expected = expected_linears(_with_defaults(pd))
    for mod, (_r, dim_in, dim_out) in sorted(lora.items()):
        want = expected.get(mod)
        if want is None:
            continue
        if dim_in != want[0]:
            return Verdict(INCONSISTENT, f"lora_A in-dim {dim_in} of {mod} does not fit parent "
                                         f"{_dim_name(mod, 'in')} {want[0]}")
        if dim_out != want[1]:
            return Verdict(INCONSISTENT, f"lora_B out-dim {dim_out} of {mod} does not fit "
                                         f"parent {_dim_name(mod, 'out')} {want[1]}")
        checked.append(mod)
    n = pd.get("num_hidden_layers")
    if child.adapter and child.adapter.layers and n and child.adapter.layers > n:
        return Verdict(INCONSISTENT, f"adapter reaches layer {child.adapter.layers - 1} but the "
                                     f"parent has {n} layers")
    if checked:
        return Verdict(CONSISTENT, f"LoRA matrices of {', '.join(checked)} fit the parent: "
                                   f"{_shape_line(pd, _family(parent))}")
    if isinstance(targets, list) and known:
        why = f"; {child.problems[0]}" if child.problems else ""
        return Verdict(CONSISTENT, "target modules exist in the parent; LoRA shapes not read"
                       + why)
    return Verdict(UNVERIFIABLE, "no LoRA shapes or target modules to compare"
                   + _first_problem(child))


def _dim_name(mod: str, side: str) -> str:
    if mod in ("down_proj", "fc2") and side == "in":
        return "intermediate_size"
    if mod in ("gate_proj", "up_proj", "fc1", "c_fc") and side == "out":
        return "intermediate_size"
    if mod in ("k_proj", "v_proj") and side == "out":
        return "num_key_value_heads*head_dim"
    if mod == "qkv_proj" and side == "out":
        return "(heads+2*kv_heads)*head_dim"
    if mod == "gate_up_proj" and side == "out":
        return "2*intermediate_size"
    return "hidden_size"


def check_merge(child: ModelEvidence, parent: ModelEvidence, parent_ids: tuple[str, ...]
                ) -> Verdict:
    """``parent_ids``: the names this parent goes by in the recipe (repo id, any case)."""
    first = _sides_first(child, parent)
    if first:
        return first
    cd, pd = _dims(child), _dims(parent)
    slices = child.merge.get("slices") or []
    if child.merge.get("method") == "passthrough" and slices:
        return _check_passthrough(cd, pd, slices, parent_ids)
    bad = _mismatch(cd, pd, STRICT_DIMS) or _packed_mismatch(child.tensors, pd, None)
    if bad:
        return Verdict(INCONSISTENT, bad)
    if not any(d in cd and d in pd for d in STRICT_DIMS):
        return _no_dims(child, parent)
    return Verdict(CONSISTENT, f"parent has the child's shape: {_shape_line(pd, _family(parent))}")


def _check_passthrough(cd: dict[str, int], pd: dict[str, int], slices: list[list[object]],
                       parent_ids: tuple[str, ...]) -> Verdict:
    bad = _mismatch(cd, pd, ("hidden_size", "intermediate_size", "num_attention_heads",
                             "num_key_value_heads", "head_dim"))
    if bad:
        return Verdict(INCONSISTENT, bad)
    total = sum(int(str(b)) - int(str(a)) for _, a, b in slices)
    n = cd.get("num_hidden_layers")
    if n is not None and total != n:
        return Verdict(INCONSISTENT, f"passthrough slices add up to {total} layers, child has "
                                     f"num_hidden_layers {n}")
    mine = [s for s in slices if str(s[0]).lower() in parent_ids]
    if not mine:  # the recipe's source names (raw, a revision, a path) do not name this parent
        return Verdict(UNVERIFIABLE, f"passthrough: slices add up to {total} layers, but no "
                                     "slice names this parent, so its layer ranges were not "
                                     "compared")
    top = max(int(str(b)) for _, _, b in mine)
    pn = pd.get("num_hidden_layers")
    if pn is not None and top > pn:
        return Verdict(INCONSISTENT, f"slice layer_range ends at {top} but the parent has "
                                     f"{pn} layers")
    return Verdict(CONSISTENT, f"passthrough: slices add up to {total} layers, each within "
                               "its source")
