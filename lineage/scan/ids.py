"""Is this literal a Hub repo id used as one? The rules every detector shares.

A value counts only when it decodes to a Hub id (``org/name``, ``hf.co``/``huggingface.co``
URLs, ``hf_hub:org/name`` / ``hf-hub:org/name`` prefixes) and its context says it is one:

- ``strict`` contexts (a known Hugging Face loader's model argument, ``base_model`` and
  ``*_name_or_path`` keys) accept the Hub's legacy ids without an organisation (``gpt2``,
  ``bert-base-uncased``, ``t5-small``: the families that predate organisations, listed in
  ``_LEGACY``); any other bare name (``mlx_model``, ``output``) is a local folder;
- loose contexts (a generic ``model:`` key, an environment default, a ``--model`` flag)
  need ``org/name`` and reject the API-provider names that share that shape
  (``openai/gpt-4o``, ``anthropic/claude-3-5-sonnet``, ``ollama/llama3``) and GitHub,
  Docker and file-path look-alikes.
"""

from __future__ import annotations

import re

from lineage.refs import LOCAL_FOLDER_NAMES, decode_parent_value, is_valid_repo_id

# litellm / LangChain style "provider/model" names: not Hub repos in a loose context.
_PROVIDER_PREFIXES = frozenset({
    "anthropic", "azure", "azure_ai", "bedrock", "vertex_ai", "gemini", "groq", "ollama",
    "together_ai", "cohere", "replicate", "fireworks_ai", "deepinfra", "perplexity",
    "openrouter", "sagemaker", "watsonx", "mistral", "huggingface", "text-completion-openai",
})
# OpenAI's API model names; ``openai/gpt-oss-20b`` and ``openai/whisper-*`` are Hub repos.
_OPENAI_API_NAME = re.compile(
    r"^openai/(gpt-(?!oss)|o\d|text-|davinci|babbage|chatgpt|dall-e|tts-)", re.I)
_FILE_SUFFIX = re.compile(
    r"\.(py|json|ya?ml|toml|txt|md|bin|pt|pth|ckpt|safetensors|gguf|onnx|h5|pkl|zip|tar|gz|"
    r"csv|parquet|jsonl|sh|cfg|ini|model)$", re.I)
# Model families whose canonical repos predate namespaces on the Hub (transformers' originals).
_LEGACY = re.compile(
    r"^(bert|distilbert|distilgpt2|distilroberta|gpt2|openai-gpt|roberta|xlm|xlnet|t5|albert|"
    r"bart|camembert|ctrl|electra|flaubert|longformer|mbart|transfo-xl|deberta|layoutlm|"
    r"funnel|squeezebert|google-t5|mt5|ByT5|reformer)([-_.].*)?$", re.I)
_PREFIX = re.compile(r"^(?:hf_hub:|hf-hub:|hf://|hf\.co/|huggingface\.co/)", re.I)
_QUANT_TAG = re.compile(r":[A-Za-z0-9_.-]+$")  # Ollama's hf.co/org/name:Q4_K_M
# ${VAR:default} (private-gpt, Spring-style settings), ${VAR:-default} / ${VAR-default} (sh)
_VAR_DEFAULT = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-|:|-)(?P<default>[^}]*)\}$")


def variable_default(value: str) -> str | None:
    """The default of ``${VAR:default}``-style values, else ``None``."""
    m = _VAR_DEFAULT.match(value.strip())
    return m.group("default") if m else None


# sentence-transformers resolves these bare names to sentence-transformers/<name>
# (CrossEncoder to cross-encoder/<name>): the model families its docs list.
_ST_BARE = re.compile(
    r"^(all-|paraphrase-|multi-qa-|msmarco-|distiluse-|nli-|stsb-|bert-(base|large)-nli|LaBSE|"
    r"clip-ViT-|average_word_embeddings_|gtr-t5-|sentence-t5-|quora-distilbert|use-cmlm|"
    r"facebook-dpr|nq-distilbert|allenai-specter|xlm-r-|(distil)?roberta-(base|large)-nli|"
    r"distilbert-(base|multilingual)-nli|ms-marco-)[A-Za-z0-9_.-]*$")
# load_dataset's packaged builders read local files: not Hub datasets.
DATASET_BUILDERS = frozenset({"json", "csv", "text", "parquet", "arrow", "pandas", "sql",
                              "imagefolder", "audiofolder", "videofolder", "webdataset",
                              "generator", "xml", "spark", "cache"})


def bare_name(value: str, family: str) -> str | None:
    """A bare name a loader family resolves on the Hub: ``sentence-transformers/<name>`` for
    SentenceTransformer, ``cross-encoder/<name>`` for CrossEncoder, the canonical dataset for
    ``load_dataset``; ``None`` when the name is (or may be) a local folder."""
    raw = value.strip()
    if "/" in raw or not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$", raw):
        return None
    if family == "dataset":
        lower = raw.lower()
        return raw if lower not in DATASET_BUILDERS and lower not in LOCAL_FOLDER_NAMES else None
    if _ST_BARE.match(raw):
        return f"{family}/{raw}"
    return None


def hub_id(value: str, *, strict: bool) -> tuple[str, str | None] | None:
    """``(repo_id, revision)`` when ``value`` names a Hub repo in this context, else ``None``."""
    raw = value.strip()
    default = variable_default(raw)
    if default is not None:
        raw = default.strip()
    if not raw or len(raw) > 300 or any(c.isspace() for c in raw):
        return None
    prefixed = _PREFIX.match(raw)
    if prefixed:
        raw = _QUANT_TAG.sub("", raw[prefixed.end():])
    decoded = decode_parent_value(raw, allow_legacy=strict)
    if decoded.ref is None:
        return None
    repo_id = decoded.ref.repo_id
    if not is_valid_repo_id(repo_id) or _FILE_SUFFIX.search(repo_id):
        return None
    first = repo_id.split("/")[0].lower()
    if "/" not in repo_id:
        if not strict or first in LOCAL_FOLDER_NAMES or not _LEGACY.match(repo_id):
            return None
    elif not strict and (first in _PROVIDER_PREFIXES or _OPENAI_API_NAME.match(repo_id)):
        return None
    return repo_id, decoded.ref.revision
