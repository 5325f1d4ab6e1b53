"""Is this literal a Hub repo id used as one? The rules every detector shares.

A value counts only when it decodes to a Hub id (``org/name``, ``hf.co``/``huggingface.co``
URLs, ``hf_hub:org/name`` / ``hf-hub:org/name`` prefixes) and its context says it is one:

- ``strict`` contexts (a known Hugging Face loader's model argument, ``base_model`` and
  ``*_name_or_path`` keys) accept legacy ids without an organisation (``gpt2``,
  ``bert-base-uncased``), except folder names (``output``, ``checkpoints``) and file names;
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
_PREFIX = re.compile(r"^(?:hf_hub:|hf-hub:|hf://|hf\.co/|huggingface\.co/)", re.I)
_QUANT_TAG = re.compile(r":[A-Za-z0-9_.-]+$")  # Ollama's hf.co/org/name:Q4_K_M
# ${VAR:default} (private-gpt, Spring-style settings), ${VAR:-default} / ${VAR-default} (sh)
_VAR_DEFAULT = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-|:|-)(?P<default>[^}]*)\}$")


def variable_default(value: str) -> str | None:
    """The default of ``${VAR:default}``-style values, else ``None``."""
    m = _VAR_DEFAULT.match(value.strip())
    return m.group("default") if m else None


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
        if not strict or first in LOCAL_FOLDER_NAMES or not re.search(r"[a-z]", first):
            return None
    elif not strict and (first in _PROVIDER_PREFIXES or _OPENAI_API_NAME.match(repo_id)):
        return None
    return repo_id, decoded.ref.revision
