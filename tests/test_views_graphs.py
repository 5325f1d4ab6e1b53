"""Annotated LineageGraphs built by hand for the SPDX, view and BOM-reader tests.

``sample_graph()`` covers what outputs must render: a quantized target over a merge of a
fine-tune and an adapter (a diamond down to a shared root), an unknown relation to a local
path, a gated parent, a training dataset, a remote-code repo, Hub-only and SPDX licenses,
signatures, unsafe weights, findings, and hostile text in license names, links and card fields.
"""

from __future__ import annotations

from lineage.graph import (
    Activity,
    CodeNode,
    DatasetNode,
    Evidence,
    Finding,
    LicenseInfo,
    LineageGraph,
    ModelNode,
    Relation,
    RemoteCodeInfo,
    SignatureInfo,
    WeightFile,
    WeightsInfo,
    code_key,
    dataset_key,
    model_key,
)

HOSTILE = "<script>alert(1)</script>"
SHA = {
    "acme/chat-q4": "1" * 40,
    "acme/chat-merge": "2" * 40,
    "acme/base-a-ft": "3" * 40,
    "other/base-b": "4" * 40,
    "common/root": "5" * 40,
    "hostile/ds": "6" * 40,
    "acme/modeling": "7" * 40,
}


def _model(repo_id: str, **kw: object) -> ModelNode:
    return ModelNode(
        key=model_key(repo_id), name=repo_id, repo_id=repo_id, sha=SHA.get(repo_id), **kw
    )  # type: ignore[arg-type]


def sample_graph(*, hostile: bool = True) -> LineageGraph:
    """The sample; ``hostile=False`` swaps the hostile strings for plain ones (README pictures)."""
    g = LineageGraph()
    g.meta["endpoint"] = "https://huggingface.co"
    target = _model(
        "acme/chat-q4",
        is_target=True,
        task="text-generation",
        architecture="llama",
        license=LicenseInfo(
            declared="llama3.1", hub_id="llama3.1", name="Llama 3.1 Community License",
            url="https://huggingface.co/meta-llama/Llama-3.1-8B/blob/main/LICENSE",
            family="restricted", source="card",
        ),
        signature=SignatureInfo(
            status="verified", file="model.sig", signer="builder@acme.example",
            issuer="https://accounts.google.com", method="sigstore", files_checked=3,
        ),
        weights=WeightsInfo(
            files=[WeightFile("chat.Q4_K_M.gguf", "gguf", 4_000_000, "a" * 64)],
            formats=["gguf"],
        ),
        activity=Activity(downloads=1234, likes=5, author="acme"),
    )
    merge = _model(
        "acme/chat-merge",
        license=LicenseInfo(
            declared="apache-2.0", spdx="Apache-2.0", hub_id="apache-2.0",
            family="permissive", source="card",
            problems=["parent common/root is MIT but a parent is more restrictive"],
        ),
        signature=SignatureInfo(status="invalid", reason="digest mismatch for model.safetensors"),
        remote_code=RemoteCodeInfo(needed=True, cross_repo=["acme/modeling--modeling.Chat"]),
        weights=WeightsInfo(
            files=[
                WeightFile("model-00001.safetensors", "safetensors", 10, "b" * 64),
                WeightFile("model-00002.safetensors", "safetensors", 10, "c" * 64),
            ],
            formats=["safetensors"],
        ),
    )
    base_a = _model(
        "acme/base-a-ft",
        license=LicenseInfo(declared="mit", spdx="MIT", family="permissive", source="card"),
        signature=SignatureInfo(status="unsigned"),
    )
    base_b = _model(
        "other/base-b",
        license=LicenseInfo(
            declared="other", hub_id="other", name=HOSTILE, url=f"javascript:alert(1)//{HOSTILE}",
            family="unknown", source="card-other",
        ) if hostile else LicenseInfo(
            declared="cc-by-nc-4.0", spdx="CC-BY-NC-4.0", family="non-commercial", source="card",
        ),
        card={"model_name": HOSTILE, "description": f"<img src=x onerror=alert(2)>{HOSTILE}"},
        weights=WeightsInfo(
            files=[WeightFile("pytorch_model.bin", "pickle", 99, "d" * 64, unsafe=True)],
            formats=["pickle"],
            unsafe_only=True,
        ),
        findings=[
            Finding("pickle-import", "error",
                    f"dangerous import os.system {HOSTILE if hostile else ''}".strip(),
                    "pytorch_model.bin"),
        ],
    )
    root = _model(
        "common/root",
        license=LicenseInfo(declared="mit", spdx="MIT", family="permissive", source="card"),
    )
    local = ModelNode(key="local:./checkpoints/run1", name="./checkpoints/run1",
                      unresolved="local-path")
    gated = ModelNode(
        key=model_key("meta-llama/Llama-3.1-8B"), name="meta-llama/Llama-3.1-8B",
        repo_id="meta-llama/Llama-3.1-8B", unresolved="gated",
        problems=["meta-llama/Llama-3.1-8B: gated repo, access not granted"],
    )
    ds = DatasetNode(
        key=dataset_key("hostile/ds"), name="hostile/ds", repo_id="hostile/ds",
        sha=SHA["hostile/ds"],
        license=LicenseInfo(declared="cc-by-4.0", spdx="CC-BY-4.0", family="permissive",
                            source="dataset-card"),
    )
    code = CodeNode(
        key=code_key("acme/modeling"), name="acme/modeling", repo_id="acme/modeling",
        sha=SHA["acme/modeling"], modules=["modeling.Chat"],
    )
    for node in (target, merge, base_a, base_b, root, local, gated, ds, code):
        g.add_node(node)

    def ev(source: str, file: str | None, field: str, value: str) -> list[Evidence]:
        return [Evidence(source, file, field, value)]

    g.add_edge(target.key, merge.key, Relation.QUANTIZED,
               ev("card", "README.md", "base_model", "acme/chat-merge"))
    g.add_edge(merge.key, base_a.key, Relation.MERGE,
               ev("mergekit", "mergekit_config.yml", "models[0].model", "acme/base-a-ft"))
    g.add_edge(merge.key, base_b.key, Relation.MERGE,
               ev("mergekit", "mergekit_config.yml", "models[1].model", "other/base-b"))
    g.add_edge(merge.key, code.key, Relation.REMOTE_CODE,
               ev("config", "config.json", "auto_map.AutoModel", "acme/modeling--modeling.Chat"))
    g.add_edge(base_a.key, root.key, Relation.FINETUNE,
               ev("card", "README.md", "base_model", "common/root"))
    g.add_edge(base_a.key, ds.key, Relation.TRAINED_ON,
               ev("card", "README.md", "datasets", "hostile/ds"))
    g.add_edge(base_b.key, root.key, Relation.ADAPTER,
               ev("adapter_config", "adapter_config.json", "base_model_name_or_path",
                  f"common/root{HOSTILE}" if hostile else "common/root"))
    g.add_edge(root.key, local.key, Relation.UNKNOWN,
               ev("config", "config.json", "_name_or_path", "./checkpoints/run1"))
    g.add_edge(root.key, gated.key, Relation.FINETUNE,
               ev("hub-base-models", None, "baseModels", "meta-llama/Llama-3.1-8B"))
    return g


def single_model_graph() -> LineageGraph:
    """A lone target with no license, no sha and no annotations at all."""
    g = LineageGraph()
    g.add_node(ModelNode(key=model_key("solo"), name="solo", repo_id="solo", is_target=True))
    return g
