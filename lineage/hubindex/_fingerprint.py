"""The index fingerprint: what the Hub's listing says about a model's shape, in one string.

The in-run fingerprint (``lineage.verify.annotate.fingerprint``) joins the whole config's
dimensions, a digest of every tensor's name, dtype and shape, and the tokenizer files' blob
ids. The Hub's model listing (``list_models(expand=config,safetensors,createdAt)``) carries
much less, and the index can only hold what the listing carries without one request per model:

- ``config``: a summary, ``model_type`` and ``architectures`` (plus ``tokenizer_config``'s
  special tokens and ``auto_map``), but none of ``hidden_size``, ``num_hidden_layers`` and the
  other dimensions (``tests/hub_recordings``: ``{"architectures": ["BertForMaskedLM"],
  "model_type": "bert", "tokenizer_config": {}}``);
- ``safetensors.parameters``: the exact parameter count per dtype, which the Hub computes from
  the safetensors headers (``{"BF16": 8030261248}`` for Llama-3.1-8B);
- ``siblings``: file names only. Blob ids and LFS sha256 need ``blobs=true``, which the Hub
  accepts only on one repo's ``model_info`` and never with ``expand``: the tokenizer's
  identity is not in the listing.

So an index fingerprint is ``safetensors:<model_type>:<architecture>:<DTYPE>=<count>,...``
(dtypes sorted; ``-`` for a missing model_type or architecture, never both missing). Two
models that share it have the same architecture class and, per dtype, the same number of
parameters. What that can tell: a model of another width, depth, MLP size or vocabulary size
(other embedding rows) almost never has the same exact counts, so a match narrows the
candidates to models of one shape. What it cannot tell: the dimensions one by one (a
different shape with the same totals would match), the tokenizer (another tokenizer with the
same vocabulary size matches), the weights (every fine-tune that keeps the shape matches its
base and all its siblings), and anything about a model whose listing has no safetensors counts
(GGUF-only, pickle-only and most diffusers repos get no fingerprint). A model saved in another
dtype than its base (F32 vs BF16) does not match. A match is a reason to look, never proof.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

FINGERPRINT_PREFIX = "safetensors:"
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,120}$")
_DTYPE = re.compile(r"^[A-Z0-9_]{1,16}$")
MAX_DTYPES = 16


def _name(value: object) -> str | None:
    return value if isinstance(value, str) and _NAME.match(value) else None


def meta_fingerprint(model_type: object, architecture: object,
                     params: Mapping[str, object] | None) -> str | None:
    """The fingerprint of a model type, architecture class and parameter counts per dtype, or
    ``None`` when the counts are missing or malformed, or both names are (a fingerprint of
    counts alone would join unrelated families). Names that are not plain identifiers are
    treated as missing, never cleaned up into something that could match."""
    if not params or len(params) > MAX_DTYPES:
        return None
    counts: list[str] = []
    for dtype, count in sorted(params.items()):
        if not isinstance(dtype, str) or not _DTYPE.match(dtype) or not isinstance(count, int) \
                or isinstance(count, bool) or count < 0:
            return None
        if count:
            counts.append(f"{dtype}={count}")
    mt, arch = _name(model_type), _name(architecture)
    if not counts or (mt is None and arch is None):
        return None
    return f"{FINGERPRINT_PREFIX}{mt or '-'}:{arch or '-'}:{','.join(counts)}"


def listing_fingerprint(record: Mapping[str, object]) -> str | None:
    """The fingerprint of one listed model (``config`` and ``safetensors`` fields of a
    ``list_models`` item or a dump line), or ``None`` when the listing cannot give one."""
    config = record.get("config")
    safetensors = record.get("safetensors")
    if not isinstance(config, Mapping) or not isinstance(safetensors, Mapping):
        return None
    params = safetensors.get("parameters")
    archs = config.get("architectures")
    arch = archs[0] if isinstance(archs, list) and archs else None
    return meta_fingerprint(config.get("model_type"), arch,
                            params if isinstance(params, Mapping) else None)


def is_fingerprint(value: str) -> bool:
    """Whether ``value`` is spelled like a fingerprint (a query may give one instead of an id)."""
    return value.startswith(FINGERPRINT_PREFIX)


def fingerprint_parts(fp: str) -> tuple[str, str, dict[str, int]]:
    """``(model_type, architecture, counts)`` of a fingerprint ``meta_fingerprint`` made."""
    _, mt, arch, counts = fp.split(":", 3)
    out: dict[str, int] = {}
    for item in counts.split(","):
        dtype, _, n = item.partition("=")
        out[dtype] = int(n)
    return mt, arch, out
