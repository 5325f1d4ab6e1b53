"""Answers the production Hub really sent, served verbatim by the fake Hub.

tests/hub_recordings holds response bodies recorded by huggingface_hub's own VCR cassettes
(SOURCE.json: cassette path, commit, request, status, recorded headers, sha256 of each body).
Each is written unchanged as a mirror repo's ``info.json``, served through tests/fakehub.py to
the real client, and mlbom's parse of every field it uses is compared with the recorded
document itself, read here with ``json`` alone.

What the recordings show about the real Hub, and how the fake matches it:

- a legacy id (``bert-base-uncased``) is answered ``307 Temporary Redirect`` to the new id
  with a ``text/plain`` body (the fake's ``redirect.json``);
- without ``blobs=true`` siblings carry only ``rfilename``; ``gated`` is the boolean ``false``
  for open repos; ``config`` is a summary (architectures, model_type, tokenizer_config, or
  ``{"diffusers": {...}}``), never the whole config.json; ``safetensors`` gives parameter
  counts; lineage comes as ``base_model:<id>`` and ``base_model:finetune:<id>`` tags;
- with ``expand=field`` the answer is ``_id``, ``id`` and that field only;
- JSON answers are ``application/json; charset=utf-8``.

No recording here has ``blobs=true`` (sibling ``lfs``), ``securityStatus``, ``baseModels`` or
a dataset: those stay checked against the documented shape only (tests/test_fakehub.py).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from lineage.pipeline import RunOptions, build_graph
from lineage.refs import ModelRef
from lineage.sources.hub import HubSource

RECORDINGS = Path(__file__).resolve().parent / "hub_recordings"
SOURCE = json.loads((RECORDINGS / "SOURCE.json").read_text())
MODEL_ANSWERS = [r for r in SOURCE["recordings"]
                 if r["status"] == 200 and "?" not in r["request"]["uri"]]


def _recorded(name: str) -> bytes:
    return (RECORDINGS / name).read_bytes()


def _serve(tmp_path: Path, make_fake_hub: Any, *names: str) -> Any:
    """A fake Hub whose repos' ``info.json`` are the recorded bodies, byte for byte."""
    root = tmp_path / "hub"
    for name in names:
        repo = root / "models" / name.split(".")[0]
        (repo / "files").mkdir(parents=True)
        (repo / "info.json").write_bytes(_recorded(name))
    (root / "datasets").mkdir(parents=True, exist_ok=True)
    return make_fake_hub(root)


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_the_recordings_are_the_bytes_their_source_names() -> None:
    import hashlib

    assert len(SOURCE["recordings"]) >= 3
    for rec in SOURCE["recordings"]:
        assert hashlib.sha256(_recorded(rec["file"])).hexdigest() == rec["sha256"]
        assert rec["request"]["uri"].startswith("https://huggingface.co/api/models/")


@pytest.mark.parametrize("rec", MODEL_ANSWERS, ids=lambda r: r["file"])
def test_every_field_mlbom_uses_is_read_as_the_hub_sent_it(
        rec: dict[str, Any], make_fake_hub: Any, tmp_path: Path) -> None:
    sent = json.loads(_recorded(rec["file"]))
    hub = _serve(tmp_path, make_fake_hub, rec["file"])
    snap = HubSource(hub.endpoint, cache_dir=tmp_path / "c").model_info(ModelRef(sent["id"]))
    assert snap.repo_id == sent["id"] and snap.sha == sent["sha"]
    assert snap.tags == tuple(sent["tags"])
    assert snap.card_data == sent.get("cardData", {})
    assert snap.config == sent.get("config")
    assert [s.name for s in snap.siblings] == [s["rfilename"] for s in sent["siblings"]]
    assert not any(s.lfs or s.sha256 for s in snap.siblings)  # no blobs in these answers
    assert snap.gated is None and sent["gated"] is False  # open repo: boolean false
    assert snap.private is sent["private"]
    assert (snap.downloads, snap.likes) == (sent["downloads"], sent["likes"])
    assert (snap.library_name, snap.pipeline_tag) == (sent.get("library_name"),
                                                      sent.get("pipeline_tag"))
    assert (snap.created_at, snap.last_modified, snap.author) == (
        sent.get("createdAt"), sent["lastModified"], sent["author"])
    assert snap.security is None and snap.base_models == () and snap.problems == ()
    assert snap.raw.get("safetensors") == sent.get("safetensors")


def test_the_fake_answers_the_recorded_request_with_the_recorded_document(
        make_fake_hub: Any, tmp_path: Path) -> None:
    names = [r["file"] for r in SOURCE["recordings"] if r["status"] == 200]
    hub = _serve(tmp_path, make_fake_hub, *names)
    for rec in SOURCE["recordings"]:
        if rec["status"] != 200:
            continue
        path = rec["request"]["uri"].removeprefix("https://huggingface.co")
        status, headers, body = _get(hub.endpoint + path)
        assert status == 200
        assert json.loads(body) == json.loads(_recorded(rec["file"])), rec["file"]
        assert headers["Content-Type"] == rec["headers"]["Content-Type"][0]


def test_expand_answers_carry_only_the_ids_and_the_field(make_fake_hub: Any,
                                                         tmp_path: Path) -> None:
    name = "openai--whisper-large-v3.expand-inferenceProviderMapping.json"
    recorded = json.loads(_recorded(name))
    assert set(recorded) == {"_id", "id", "inferenceProviderMapping"}
    # the fake shapes a full answer the same way: google-bert's recorded answer, expanded
    hub = _serve(tmp_path, make_fake_hub, "google-bert--bert-base-uncased.json")
    _, _, body = _get(f"{hub.endpoint}/api/models/google-bert/bert-base-uncased?expand=likes")
    assert set(json.loads(body)) == {"_id", "id", "likes"}


def test_a_legacy_id_is_redirected_and_still_resolves(make_fake_hub: Any,
                                                      tmp_path: Path) -> None:
    [moved] = [r for r in SOURCE["recordings"] if r["status"] == 307]
    hub = _serve(tmp_path, make_fake_hub, "google-bert--bert-base-uncased.json")
    legacy = tmp_path / "hub" / "models" / "bert-base-uncased"
    legacy.mkdir()
    (legacy / "redirect.json").write_text(json.dumps({"to": "google-bert/bert-base-uncased"}))
    status, headers, body = _get(f"{hub.endpoint}/api/models/bert-base-uncased")
    assert (status, headers["Location"], body) == (
        307, moved["headers"]["Location"][0], _recorded(moved["file"]))
    assert headers["Content-Type"] == moved["headers"]["Content-Type"][0]
    snap = HubSource(hub.endpoint, cache_dir=tmp_path / "c").model_info(
        ModelRef("bert-base-uncased"))
    sent = json.loads(_recorded("google-bert--bert-base-uncased.json"))
    assert snap.sha == sent["sha"] and snap.card_data == sent["cardData"]
    # file URLs of the old id are redirected the same way, keeping the rest of the path
    status, headers, _ = _get(f"{hub.endpoint}/bert-base-uncased/resolve/main/config.json")
    assert (status, headers["Location"]) == (
        307, "/google-bert/bert-base-uncased/resolve/main/config.json")


def test_lineage_from_recorded_tags_and_card_data(make_fake_hub: Any, tmp_path: Path) -> None:
    hub = _serve(tmp_path, make_fake_hub, "deepset--roberta-base-squad2.json")
    graph = build_graph("deepset/roberta-base-squad2",
                        RunOptions(endpoint=hub.endpoint, cache_dir=tmp_path / "c"))
    [(parent, edge)] = graph.parents(graph.target.key, lineage_only=True)
    assert parent.name == "FacebookAI/roberta-base"
    assert edge.relation.value == "finetune"
    assert {e.source for e in edge.evidence} == {"card", "hub-tags"}
    assert [d.name for d in graph.datasets()] == ["squad_v2"]
    assert "squad_v2" in graph.target.eval_datasets


def test_base_models_given_as_plain_ids_are_parents() -> None:
    """``baseModels`` as a list of ids (older answers and dumps) names parents just as the
    record form does; it was dropped before extraction, so such a model had no parent."""
    from lineage.errors import HubError
    from lineage.extract import extract_repo_facts
    from lineage.sources.apijson import snapshot_from_api

    def no_file(name: str) -> bytes:
        raise HubError(f"{name} not found", subject="org/m", reason="not-found")

    def no_head(name: str, n: int) -> bytes:
        return no_file(name)

    for shape in (["org/base"], {"relation": "finetune", "models": [{"id": "org/base"}]}):
        snap = snapshot_from_api({"id": "org/m", "sha": "a" * 40, "baseModels": shape},
                                 repo_id="org/m")
        facts = extract_repo_facts(snap, no_file, no_head)
        assert [p.value.raw for p in facts.parents] == ["org/base"], shape
