"""mlbom scan: references found in code, notebooks, configs and scripts, read and never run.

Each test writes a small tree the way real projects do and checks what a release engineer
would read in the ``mlbom-scan/1`` document: the id, its kind, file and line, the pin.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sbom.cli import main


def scan(tmp_path: Path, files: dict[str, str | bytes], capsys: pytest.CaptureFixture[str],
         *args: str) -> dict[str, object]:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    capsys.readouterr()
    assert main(["scan", str(tmp_path), "--format", "json", *args]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "mlbom-scan/1"
    return doc


def refs(doc: dict[str, object]) -> set[tuple[str, str, int, str]]:
    return {(r["kind"], r["id"], r["line"], r["file"])  # type: ignore[index]
            for r in doc["references"]}  # type: ignore[attr-defined]


def test_python_loaders_constants_defaults_and_pins(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code = '''import os, argparse
from transformers import AutoModel, AutoTokenizer, pipeline
from peft import PeftModel
from huggingface_hub import hf_hub_download, snapshot_download
from datasets import load_dataset

BASE = "meta-llama/Llama-3.1-8B"
SHA = "0e9e39f249a16976918f6564b8830bc894c89659"

def load(name=BASE):
    m = AutoModel.from_pretrained(name, revision=SHA)
    return PeftModel.from_pretrained(m, "acme/support-lora")

parser = argparse.ArgumentParser()
parser.add_argument("--model-name", default="Qwen/Qwen2.5-7B-Instruct")
args = parser.parse_args()
pipe = pipeline("text-generation", model=args.model_name)
tok = AutoTokenizer.from_pretrained(os.getenv("TOK", "gpt2"))
ds = load_dataset("tatsu-lab/alpaca")
f = hf_hub_download(repo_id="bigcode/the-stack-smol", filename="x", repo_type="dataset")
snapshot_download("TheBloke/Mistral-7B-GGUF")
dyn = AutoModel.from_pretrained(f"{os.environ['ORG']}/x")
'''
    doc = scan(tmp_path, {"app.py": code}, capsys)
    found = refs(doc)
    assert ("model", "meta-llama/Llama-3.1-8B", 7, "app.py") in found
    assert ("adapter", "acme/support-lora", 12, "app.py") in found
    assert ("model", "Qwen/Qwen2.5-7B-Instruct", 15, "app.py") in found
    assert ("model", "gpt2", 18, "app.py") in found  # legacy id, in a loader: a model
    assert ("dataset", "tatsu-lab/alpaca", 19, "app.py") in found
    assert ("dataset", "bigcode/the-stack-smol", 20, "app.py") in found
    assert ("model", "TheBloke/Mistral-7B-GGUF", 21, "app.py") in found
    unknown = [r for r in doc["references"] if r["kind"] == "unknown"]  # type: ignore
    assert [u["id"] for u in unknown] == ["f\"{os.environ['ORG']}/x\""]
    pinned = [r for r in doc["references"] if r["pinned"]]  # type: ignore
    assert [(p["id"], p["revision"]) for p in pinned] == [
        ("meta-llama/Llama-3.1-8B", "0e9e39f249a16976918f6564b8830bc894c89659")]


def test_lookalikes_are_not_model_references(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = '''from openai import OpenAI
from transformers import AutoModel
import requests
OpenAI().chat.completions.create(model="gpt-4o")
LLM_MODEL = "openai/gpt-4o-mini"
CLAUDE_MODEL = "anthropic/claude-3-5-sonnet"
REPO = "https://github.com/huggingface/transformers"
requests.get("https://github.com/org/model")
local = AutoModel.from_pretrained("./checkpoints/final")
out = AutoModel.from_pretrained("outputs/run-1")
image = "nvidia/cuda:12.1.0-base-ubuntu22.04"
'''
    files = {
        "app.py": code,
        "docker/Dockerfile": "FROM nvidia/cuda:12.1.0-base-ubuntu22.04\nFROM org/image\n",
        "cfg.yaml": "model: gpt-4o\nllm:\n  model: openai/gpt-4o\noutput_dir: acme/out\n"
                    "hub_model_id: acme/my-upload\n",
        ".env": "OPENAI_MODEL=openai/gpt-4o\nREDIS_URL=redis://localhost/0\n",
    }
    doc = scan(tmp_path, files, capsys)
    assert doc["references"] == []


def test_configs_notebooks_scripts_and_modelfiles(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [],
                     "source": ["!huggingface-cli download BAAI/bge-m3\n",
                                "from sentence_transformers import SentenceTransformer\n",
                                "m = SentenceTransformer('intfloat/e5-large-v2')\n"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    files = {
        "axolotl.yml": "base_model: NousResearch/Meta-Llama-3-8B\ndatasets:\n"
                       "  - path: mhenrichsen/alpaca_2k_test\n    type: alpaca\n",
        "pyproject.toml": '[tool.app]\nembedding_model = "BAAI/bge-small-en-v1.5"\n',
        "config.json": '{\n  "model_name_or_path": "google/gemma-2-2b-it"\n}\n',
        ".env": "EMBEDDING_MODEL=sentence-transformers/all-MiniLM-L6-v2\n",
        "serve.sh": "#!/bin/sh\nvllm serve Qwen/Qwen2.5-1.5B-Instruct \\\n  --port 8000\n"
                    "python -m server --model-id $MODEL\n",
        "Dockerfile": "FROM python:3.11\nENV MODEL_ID=mistralai/Mistral-7B-Instruct-v0.3\n"
                      'CMD ["python", "-m", "vllm.entrypoints.openai.api_server", "--model", '
                      '"microsoft/Phi-3-mini-4k-instruct"]\n',
        "Modelfile": "FROM hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M\n",
        "eval.ipynb": json.dumps(nb, indent=1),
    }
    doc = scan(tmp_path, files, capsys)
    found = {(k, i, f) for k, i, _, f in refs(doc)}
    assert found == {
        ("model", "NousResearch/Meta-Llama-3-8B", "axolotl.yml"),
        ("dataset", "mhenrichsen/alpaca_2k_test", "axolotl.yml"),
        ("model", "BAAI/bge-small-en-v1.5", "pyproject.toml"),
        ("model", "google/gemma-2-2b-it", "config.json"),
        ("model", "sentence-transformers/all-MiniLM-L6-v2", ".env"),
        ("model", "Qwen/Qwen2.5-1.5B-Instruct", "serve.sh"),
        ("unknown", "$MODEL", "serve.sh"),
        ("model", "mistralai/Mistral-7B-Instruct-v0.3", "Dockerfile"),
        ("model", "microsoft/Phi-3-mini-4k-instruct", "Dockerfile"),
        ("model", "bartowski/Llama-3.2-1B-Instruct-GGUF", "Modelfile"),
        ("model", "BAAI/bge-m3", "eval.ipynb"),
        ("model", "intfloat/e5-large-v2", "eval.ipynb"),
    }
    lines = {i: line for _, i, line, f in refs(doc) if f == "eval.ipynb"}
    text = (tmp_path / "eval.ipynb").read_text().split("\n")
    assert "BAAI/bge-m3" in text[lines["BAAI/bge-m3"] - 1]  # the line in the .ipynb file
    assert "intfloat/e5-large-v2" in text[lines["intfloat/e5-large-v2"] - 1]


def test_skipped_folders_excludes_and_problems_are_reported(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    load = 'from transformers import AutoModel\nAutoModel.from_pretrained("acme/{}")\n'
    files: dict[str, str | bytes] = {
        ".git/hooks/x.py": load.format("git"),
        "node_modules/pkg/x.py": load.format("node"),
        ".venv/lib/x.py": load.format("venv"),
        "env2/pyvenv.cfg": "home = /usr\n",
        "env2/lib/x.py": load.format("env2"),
        "tests/test_x.py": load.format("tests"),
        "src/ok.py": load.format("kept"),
        "src/binary.py": b"\x00\x01\x02 from_pretrained",
        "src/broken.py": "def (:\n  from_pretrained('acme/x')\n",
        "nb/bad.ipynb": "{not json",
        "cfg/bomb.yaml": "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)),
    }
    doc = scan(tmp_path, files, capsys, "--exclude", "tests/*")
    assert {r["id"] for r in doc["references"]} == {"acme/kept"}  # type: ignore[attr-defined]
    problems = {p["file"]: p["message"] for p in doc["problems"]}  # type: ignore
    assert problems["src/binary.py"] == "binary file: not read"
    assert "Python not parsed" in problems["src/broken.py"]
    assert "not JSON" in problems["nb/bad.ipynb"]
    assert "YAML not read" in problems["cfg/bomb.yaml"]
    assert doc["files"]["skipped"] == 4  # type: ignore[index]


def test_symlink_loops_and_links_out_of_the_tree_are_not_followed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "tree"
    (root / "a").mkdir(parents=True)
    (root / "a" / "loop").symlink_to(root, target_is_directory=True)
    outside = tmp_path / "outside.py"
    outside.write_text('from transformers import AutoModel\nAutoModel.from_pretrained("x/y")\n')
    (root / "link.py").symlink_to(outside)
    capsys.readouterr()
    assert main(["scan", str(root), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["references"] == []
    messages = {p["file"]: p["message"] for p in doc["problems"]}
    assert messages == {"a/loop": "symlink to a folder: not followed",
                        "link.py": "symlink out of the tree: not read"}


def test_sarif_results_point_at_the_file_and_line_and_validate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema

    (tmp_path / "app.py").write_text(
        'from transformers import AutoModel\n\nAutoModel.from_pretrained("acme/chat")\n'
        'AutoModel.from_pretrained("acme/pinned", revision="' + "a" * 40 + '")\n')
    capsys.readouterr()
    assert main(["scan", str(tmp_path), "--format", "sarif"]) == 0
    sarif = json.loads(capsys.readouterr().out)
    schema = json.loads((Path(__file__).parents[1] / "sbom" / "data" / "sarif-2.1.0.json")
                        .read_text())
    jsonschema.validate(sarif, schema)
    results = sarif["runs"][0]["results"]
    assert len(results) == 1  # the pinned one is not a finding
    loc = results[0]["locations"][0]["physicalLocation"]
    assert loc == {"artifactLocation": {"uri": "app.py", "uriBaseId": "SRCROOT"},
                   "region": {"startLine": 3}}
    assert results[0]["ruleId"] == "mlbom/unpinned-reference"
    assert "revision=<sha>" in results[0]["message"]["text"]


def test_scan_never_runs_what_it_reads(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "evil.py").write_text(
        f"open({str(marker)!r}, 'w').write('x')\n"
        "from transformers import AutoModel\nAutoModel.from_pretrained('acme/x')\n")
    (tmp_path / "setup.py").write_text(f"open({str(marker)!r}, 'w')\n")
    doc = scan(tmp_path, {}, capsys)
    assert {r["id"] for r in doc["references"]} == {"acme/x"}  # type: ignore[attr-defined]
    assert not marker.exists()


def test_empty_or_missing_path_is_a_usage_error(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["scan", str(tmp_path), "--format", "xml"]) == 2


def test_a_large_tree_uses_every_core_and_finds_the_same(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    from lineage.scan import scan_tree

    for i in range(600):
        body = (f'from transformers import AutoModel\nAutoModel.from_pretrained("org/m{i}")\n'
                if i % 50 == 0 else f"def f{i}():\n    return {i}\n")
        (tmp_path / f"m{i}.py").write_text(body)
    one = scan_tree(tmp_path, jobs=1)
    many = scan_tree(tmp_path, jobs=max(2, os.cpu_count() or 2))
    assert one.references == many.references
    assert len(one.references) == 12


def test_habits_found_in_real_repositories(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Each case here was a miss or a false reference on the real corpus before its fix."""
    code = '''import argparse, gradio as gr
from huggingface_hub import InferenceClient, snapshot_download
from sentence_transformers import SentenceTransformer
from datasets import load_dataset
from transformers import AutoModel, CLIPModel, pipeline

def convert(bert_model):
    return AutoModel.from_pretrained(bert_model)

parser = argparse.ArgumentParser()
parser.add_argument("--bert-model", default="bert-base-uncased")
args = parser.parse_args()
convert(args.bert_model)
st = SentenceTransformer("all-MiniLM-L6-v2")
saved = SentenceTransformer("tmp-clip-model")
local = CLIPModel.from_pretrained("mlx_model")
q = load_dataset("quora")
j = load_dataset("json", data_files="x.json")
client = InferenceClient()
client.chat_completion(messages=[], model="mistralai/Mistral-7B-Instruct-v0.3")
space = gr.load("spaces/gradio/english_translator")
ner = pipeline("ner")
'''
    files = {
        "app.py": code,
        "settings-docker.yaml": "llamacpp:\n  llm_hf_repo_id: ${PGPT_HF_REPO_ID:org/model-GGUF}\n"
                                "  port: ${PORT:8080}\n",
        "recipe.yaml": "model_name_or_path: mistralai/Mistral-7B-v0.1\nmodel_revision: main\n"
                       "dataset_mixture:\n  datasets:\n    - id: HuggingFaceH4/ultrachat_200k\n"
                       "dataset_mixer:\n  HuggingFaceH4/cai-conversation-harmless: 1.0\n",
        "serve.sh": 'model=Qwen/Qwen2.5-7B-Instruct""\ndocker run tgi --model-id $model\n',
        "spec.yaml": 'modelURL: "openai/gpt-oss-20b"\nrepository: "lmcache/vllm-openai"\n',
    }
    doc = scan(tmp_path, files, capsys)
    found = {(r["kind"], r["id"]) for r in doc["references"]}  # type: ignore[attr-defined]
    assert found == {
        ("model", "bert-base-uncased"),  # argparse default -> convert() -> from_pretrained
        ("model", "sentence-transformers/all-MiniLM-L6-v2"),
        ("dataset", "quora"),
        ("model", "mistralai/Mistral-7B-Instruct-v0.3"),
        ("code", "gradio/english_translator"),
        ("unknown", "pipeline('ner') default model"),
        ("model", "org/model-GGUF"),
        ("model", "mistralai/Mistral-7B-v0.1"),
        ("dataset", "HuggingFaceH4/ultrachat_200k"),
        ("dataset", "HuggingFaceH4/cai-conversation-harmless"),
        ("model", "Qwen/Qwen2.5-7B-Instruct"),
        ("unknown", "$model"),
        ("model", "openai/gpt-oss-20b"),
    }
    recipe = [r for r in doc["references"] if r["file"] == "recipe.yaml"  # type: ignore
              and r["kind"] == "model"]
    assert recipe[0]["revision"] == "main" and recipe[0]["pinned"] is False  # a branch


def test_a_notebook_is_one_program_across_cells(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    cells = [["MODEL = 'bigcode/starcoderbase-1b'\n"], ["%pip install x\n"],
             ["from transformers import AutoModel\n", "m = AutoModel.from_pretrained(MODEL)\n"]]
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": c}
                    for c in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    doc = scan(tmp_path, {"nb.ipynb": json.dumps(nb, indent=1)}, capsys)
    [ref] = doc["references"]  # type: ignore[misc]
    assert ref["id"] == "bigcode/starcoderbase-1b"
    assert ref["evidence"].endswith("cell 1 line 1")
    assert "bigcode/starcoderbase-1b" in (tmp_path / "nb.ipynb").read_text().split("\n")[
        ref["line"] - 1]


def test_one_file_is_read_as_in_its_folder_and_an_unreadable_kind_is_refused(
        tmp_path: Path) -> None:
    """A script without an extension is found by its shebang in a folder, and now also when
    it is scanned alone (it gave 0 references); a file of no kind the scanner reads is an
    error, not an empty result that a gate takes for 'no models'."""
    from lineage.errors import InputError
    from lineage.scan import scan_tree

    script = tmp_path / "serve"
    script.write_text("#!/usr/bin/env python\nfrom transformers import AutoModel\n"
                      "AutoModel.from_pretrained('acme/gpt2-onnx')\n")
    alone, in_folder = scan_tree(script), scan_tree(tmp_path)
    assert [r.id for r in alone.references] == [r.id for r in in_folder.references] == \
        ["acme/gpt2-onnx"]
    (tmp_path / "notes.bin").write_bytes(b"\x00\x01")
    with pytest.raises(InputError, match="nothing was checked"):
        scan_tree(tmp_path / "notes.bin")
