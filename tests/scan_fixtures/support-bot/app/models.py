"""Support bot: loads a merged chat model, a LoRA adapter and an embedding model."""
import os

from peft import PeftModel
from sentence_transformers import SentenceTransformer
from transformers import AutoModelForCausalLM, AutoTokenizer

CHAT_MODEL = "acme/Atlas-Merge-7B"
CHAT_REVISION = "a42b397fe110de9d94a9e6377638bc1f2643ea08"


def load_chat():
    tokenizer = AutoTokenizer.from_pretrained(CHAT_MODEL)
    model = AutoModelForCausalLM.from_pretrained(CHAT_MODEL, revision=CHAT_REVISION)
    return tokenizer, PeftModel.from_pretrained(model, "acme/llama31-support-lora")


def load_embedder():
    name = os.getenv("EMBEDDING_MODEL", "acme/atlas-base-1b")
    return SentenceTransformer(name)


def load_plugin(org: str):
    return AutoModelForCausalLM.from_pretrained(f"{org}/support-plugin")
