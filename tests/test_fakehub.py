"""The fake Hub speaks what the real huggingface_hub client expects, and the bundled snapshot
is what its generator writes. Every test drives the real client (HfApi, hf_hub_download,
get_session) against the loopback server."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml
from conftest import HUB_SNAPSHOT, UNROUTABLE_ENDPOINT, MakeFakeHub
from fakehub import FakeHub, FaultRule
from huggingface_hub import HfApi, constants, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import get_session

DEMO = "acme/Atlas-Merge-7B"


def stored_info(repo_id: str, kind: str = "models") -> dict[str, Any]:
    path = HUB_SNAPSHOT / kind / repo_id.replace("/", "--") / "info.json"
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def stored_file(repo_id: str, name: str) -> bytes:
    return (HUB_SNAPSHOT / "models" / repo_id.replace("/", "--") / "files" / name).read_bytes()


def readable_model_infos() -> list[dict[str, Any]]:
    return [json.loads(p.read_text("utf-8")) for p in HUB_SNAPSHOT.glob("models/*/info.json")]


# -- model_info ------------------------------------------------------------------------------
def test_model_info_with_files_metadata_and_security_status(fake_hub: FakeHub) -> None:
    api = HfApi(endpoint=fake_hub.endpoint)
    info = api.model_info("contoso/gpt2-pickle-ft", files_metadata=True, securityStatus=True)
    stored = stored_info("contoso/gpt2-pickle-ft")
    assert info.sha == stored["sha"]
    weights = {s.rfilename: s for s in info.siblings or []}["pytorch_model.bin"]
    data = stored_file("contoso/gpt2-pickle-ft", "pytorch_model.bin")
    assert weights.lfs is not None and weights.lfs.sha256 == hashlib.sha256(data).hexdigest()
    assert weights.size == len(data)
    issues = info.security_repo_status["filesWithIssues"]
    assert issues[0]["path"] == "pytorch_model.bin"
    assert {"module": "os", "name": "system", "safety": "dangerous"} in issues[0]["pickleImports"]


def test_model_info_plain_request_is_thin_like_the_hub(fake_hub: FakeHub) -> None:
    info = HfApi(endpoint=fake_hub.endpoint).model_info(DEMO)
    assert info.siblings and all(s.lfs is None and s.size is None for s in info.siblings)
    assert info.security_repo_status is None
    assert info.base_models is None  # only given through expand
    assert "base_model:finetune:acme/Mistral-7B-Orca-Med" in (info.tags or [])
    assert info.card_data is not None and info.card_data.base_model == ["acme/Mistral-7B-Orca-Med"]


def test_model_info_expand_returns_only_requested_fields(fake_hub: FakeHub) -> None:
    info = HfApi(endpoint=fake_hub.endpoint).model_info(DEMO, expand=["baseModels", "tags"])
    assert info.id == DEMO
    assert info.base_models == stored_info(DEMO)["baseModels"]
    assert info.tags == stored_info(DEMO)["tags"]
    assert info.sha is None and info.siblings is None and info.card_data is None


def test_model_info_expand_rejects_unknown_fields(fake_hub: FakeHub) -> None:
    with pytest.raises(HfHubHTTPError) as err:
        HfApi(endpoint=fake_hub.endpoint).model_info(DEMO, expand=["noSuchField"])  # type: ignore[list-item]
    assert err.value.response.status_code == 400


def test_repo_ids_are_case_insensitive_and_answer_canonically(fake_hub: FakeHub) -> None:
    info = HfApi(endpoint=fake_hub.endpoint).model_info(DEMO.lower())
    assert info.id == DEMO


def test_revision_by_sha_prefix_and_unknown_revision(fake_hub: FakeHub) -> None:
    api = HfApi(endpoint=fake_hub.endpoint)
    sha = stored_info(DEMO)["sha"]
    assert api.model_info(DEMO, revision=sha[:7]).sha == sha
    assert api.model_info(DEMO, revision="main").sha == sha
    with pytest.raises(RevisionNotFoundError):
        api.model_info(DEMO, revision="0" * 40)
    with pytest.raises(RevisionNotFoundError):
        api.model_info(DEMO, revision="v2.0")


def test_unreadable_repos_raise_the_clients_errors(fake_hub: FakeHub) -> None:
    api = HfApi(endpoint=fake_hub.endpoint)
    with pytest.raises(GatedRepoError):
        api.model_info("fabrikam/Orion-13B")
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("contoso/Deleted-Base-7B")
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("nobody/never-existed")
    with pytest.raises(HfHubHTTPError) as err:
        api.model_info("fabrikam/Withdrawn-7B")
    assert err.value.response.status_code == 451
    assert not isinstance(err.value, RepositoryNotFoundError)
    with pytest.raises(GatedRepoError):
        hf_hub_download("fabrikam/Orion-13B", "config.json", endpoint=fake_hub.endpoint)


# -- files -----------------------------------------------------------------------------------
def test_hf_hub_download_at_a_sha(fake_hub: FakeHub, tmp_path: Path) -> None:
    sha = stored_info(DEMO)["sha"]
    path = hf_hub_download(
        DEMO, "mergekit_config.yml", revision=sha, endpoint=fake_hub.endpoint, cache_dir=tmp_path
    )
    assert Path(path).read_bytes() == stored_file(DEMO, "mergekit_config.yml")
    assert f"/snapshots/{sha}/" in Path(path).as_posix()


def test_hf_hub_download_of_an_lfs_file_checks_out(fake_hub: FakeHub, tmp_path: Path) -> None:
    repo, name = "acme/qwen-chat-q4-gguf", "qwen-chat-Q4_K_M.gguf"
    path = hf_hub_download(repo, name, endpoint=fake_hub.endpoint, cache_dir=tmp_path)
    sibling = {s["rfilename"]: s for s in stored_info(repo)["siblings"]}[name]
    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sibling["lfs"]["sha256"]


def test_range_request_reads_a_gguf_header(fake_hub: FakeHub) -> None:
    url = hf_hub_url("acme/Llama-3.1-8B-Instruct-GGUF", "Llama-3.1-8B-Instruct-Q4_K_M.gguf",
                     endpoint=fake_hub.endpoint)
    whole = stored_file("acme/Llama-3.1-8B-Instruct-GGUF", "Llama-3.1-8B-Instruct-Q4_K_M.gguf")
    response = get_session().get(url, headers={"Range": "bytes=0-15"})
    assert response.status_code == 206
    assert response.content == whole[:16] and response.content.startswith(b"GGUF")
    assert response.headers["Content-Range"] == f"bytes 0-15/{len(whole)}"
    beyond = get_session().get(url, headers={"Range": f"bytes={len(whole)}-"})
    assert beyond.status_code == 416


def test_file_metadata_and_missing_entries(fake_hub: FakeHub) -> None:
    stored = {s["rfilename"]: s for s in stored_info("gpt2")["siblings"]}
    meta = get_hf_file_metadata(hf_hub_url("gpt2", "model.safetensors", endpoint=fake_hub.endpoint))
    assert meta.size == stored["model.safetensors"]["size"]
    assert meta.etag == stored["model.safetensors"]["lfs"]["sha256"]
    assert meta.commit_hash == stored_info("gpt2")["sha"]
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("gpt2", "no-such-file.json", endpoint=fake_hub.endpoint)


# -- listings --------------------------------------------------------------------------------
def test_list_models_filter_by_base_model_tag(fake_hub: FakeHub) -> None:
    tag = "base_model:finetune:mistralai/Mistral-7B-v0.3"
    expected = sorted(i["id"] for i in readable_model_infos() if tag in i["tags"])
    found = sorted(m.id for m in HfApi(endpoint=fake_hub.endpoint).list_models(filter=tag))
    assert found == expected and len(found) >= 2


def test_list_models_pages_through_link_headers(make_fake_hub: MakeFakeHub) -> None:
    hub = make_fake_hub(page_size=5)
    models = list(HfApi(endpoint=hub.endpoint).list_models(expand=["baseModels", "tags"]))
    ids = [m.id for m in models]
    assert sorted(ids) == sorted(i["id"] for i in readable_model_infos())
    assert len(set(ids)) == len(ids)
    assert hub.count(kind="list_models") == math.ceil(len(ids) / 5)
    atlas = next(m for m in models if m.id == DEMO)
    assert atlas.base_models == stored_info(DEMO)["baseModels"] and atlas.sha is None


def test_list_models_limit_author_and_search(fake_hub: FakeHub) -> None:
    api = HfApi(endpoint=fake_hub.endpoint)
    assert len(list(api.list_models(author="acme", limit=3))) == 3
    found = {m.id for m in api.list_models(search="gemma", full=True)}
    assert found == {i["id"] for i in readable_model_infos() if "gemma" in i["id"].lower()}


def test_dataset_info_and_missing_dataset(fake_hub: FakeHub) -> None:
    api = HfApi(endpoint=fake_hub.endpoint)
    squad = api.dataset_info("squad")
    assert squad.card_data is not None and squad.card_data.license == "cc-by-sa-4.0"
    nc = api.dataset_info("contoso/dialog-nc-sa", files_metadata=True)
    assert nc.sha == stored_info("contoso/dialog-nc-sa", "datasets")["sha"]
    assert any(s.lfs for s in nc.siblings or [])
    with pytest.raises(RepositoryNotFoundError):
        api.dataset_info("contoso/withdrawn-corpus")


# -- faults, latency, counting ---------------------------------------------------------------
def test_fault_status_is_seen_then_the_repo_answers(make_fake_hub: MakeFakeHub) -> None:
    hub = make_fake_hub(faults=[FaultRule(path=r"^/api/models/acme/Atlas", action=503, times=1)])
    api = HfApi(endpoint=hub.endpoint)
    with pytest.raises(HfHubHTTPError) as err:
        api.model_info(DEMO)
    assert err.value.response.status_code == 503
    assert api.model_info(DEMO).sha == stored_info(DEMO)["sha"]
    assert [r.status for r in hub.requests] == [503, 200]


def test_connection_reset_is_retried_by_the_client(make_fake_hub: MakeFakeHub) -> None:
    hub = make_fake_hub(faults=[{"path": r"^/api/models\?", "action": "reset", "times": 1}])
    ids = [m.id for m in HfApi(endpoint=hub.endpoint).list_models(author="google")]
    assert sorted(ids) == ["google/gemma-2-2b", "google/gemma-2-2b-it"]
    assert hub.count(kind="list_models") == 2


def test_truncated_body_fails_the_read(make_fake_hub: MakeFakeHub) -> None:
    hub = make_fake_hub(faults=[FaultRule(path=r"/resolve/", action="truncate", method="GET")])
    url = hf_hub_url(DEMO, "README.md", endpoint=hub.endpoint)
    with pytest.raises(httpx2.TransportError):
        get_session().get(url)
    assert get_session().get(url).content == stored_file(DEMO, "README.md")


def test_rtt_and_delay_slow_down_answers(make_fake_hub: MakeFakeHub) -> None:
    hub = make_fake_hub(rtt=0.1, faults=[FaultRule(path="gemma", action="delay", delay=0.2)])
    api = HfApi(endpoint=hub.endpoint)
    start = time.monotonic()
    api.model_info("google/gemma-2-2b")
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    api.model_info(DEMO)
    assert time.monotonic() - start >= 0.1


def test_requests_are_counted_per_repo_under_concurrency(make_fake_hub: MakeFakeHub) -> None:
    hub = make_fake_hub(rtt=0.01)
    api = HfApi(endpoint=hub.endpoint)
    repos = ["gpt2", DEMO, "Qwen/Qwen2.5-7B"] * 8
    with ThreadPoolExecutor(max_workers=8) as pool:
        shas = list(pool.map(lambda r: api.model_info(r).sha, repos))
    assert shas == [stored_info(r)["sha"] for r in repos]
    assert hub.count(kind="model_info", repo_id=DEMO) == 8
    assert hub.counts()[("GET", "model_info", "gpt2")] == 8
    hub.reset_counts()
    assert hub.requests == []


def test_default_endpoint_is_unroutable() -> None:
    assert constants.ENDPOINT == UNROUTABLE_ENDPOINT
    with pytest.raises(httpx2.ConnectError):
        HfApi().model_info("gpt2")


# -- the snapshot ----------------------------------------------------------------------------
def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("make_hub", HUB_SNAPSHOT.parent / "make_hub.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_hub", module)  # dataclasses resolve annotations through it
    spec.loader.exec_module(sys.modules["make_hub"])
    return sys.modules["make_hub"]


def test_snapshot_is_what_the_generator_writes(tmp_path: Path) -> None:
    _load_generator().write_hub(tmp_path / "hub")
    written = {p.relative_to(tmp_path / "hub"): p.read_bytes()
               for p in (tmp_path / "hub").rglob("*") if p.is_file()}
    committed = {p.relative_to(HUB_SNAPSHOT): p.read_bytes()
                 for p in HUB_SNAPSHOT.rglob("*") if p.is_file()}
    assert written.keys() == committed.keys(), "run: python fixtures/make_hub.py"
    changed = sorted(str(k) for k in written if written[k] != committed[k])
    assert not changed, f"fixtures/hub is stale ({changed[:3]}); run python fixtures/make_hub.py"


def test_demo_merge_declares_more_sources_than_its_card() -> None:
    recipe = yaml.safe_load(stored_file(DEMO, "mergekit_config.yml"))
    sources = {m["model"] for m in recipe["models"]}
    card_bases = stored_info(DEMO)["cardData"]["base_model"]
    assert len(sources - {recipe["base_model"]}) >= 3 and len(card_bases) == 1
    assert "acme/Mistral-7B-Orca-Med" in sources


def test_gguf_files_carry_their_base_model_in_the_header() -> None:
    import gguf

    path = HUB_SNAPSHOT / "models/acme--qwen-chat-q4-gguf/files/qwen-chat-Q4_K_M.gguf"
    reader = gguf.GGUFReader(path)
    url = reader.fields["general.base_model.0.repo_url"].contents()
    assert url == "https://huggingface.co/Qwen/Qwen2.5-7B-Instruct"
    assert "base_model" not in stored_info("acme/qwen-chat-q4-gguf")["cardData"]


def test_snapshot_stays_small() -> None:
    total = sum(p.stat().st_size for p in HUB_SNAPSHOT.rglob("*") if p.is_file())
    assert total < 2 * 1024 * 1024
