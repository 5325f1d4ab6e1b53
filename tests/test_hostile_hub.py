"""A hostile or broken Hub, through the CLI: answers that never finish, forged answers, redirect
loops, corrupt compression and HTML pages. Each server is built here from fake Hub fault rules.
What must hold: no run hangs (every request has a total deadline, a run an optional one), no
forged answer reaches the BOM, and one bad parent is an unresolved node while the rest of the
graph is written; only a target that cannot be read ends the run, with exit 3."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hostile import (
    add_model,
    components_by_ref,
    fake_sha,
    generate,
    new_mirror,
    problems,
    properties_of,
)

from lineage.graph import LineageGraph
from lineage.pipeline import RunOptions, build_graph
from lineage.sources.hub import HubSource


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = new_mirror(tmp_path / "mirror")
    add_model(root, "org/base", card={"license": "mit"})
    add_model(root, "org/other", card={"license": "apache-2.0"})
    add_model(root, "org/child", card={"base_model": ["org/base", "org/other"]})
    return root


def _unresolved(bom: dict[str, Any], ref: str) -> tuple[list[str], list[str]]:
    comp = components_by_ref(bom)[ref]
    return properties_of(comp, "mlbom:lineage:unresolved"), problems(comp)


def _run(capsys: Any, hub: Any, out: Path, *args: str, target: str = "org/child"
         ) -> tuple[Any, dict[str, Any], float]:
    start = time.monotonic()
    run, bom = generate(capsys, target, out, "--endpoint", hub.endpoint, "--no-cache", *args)
    return run, bom, time.monotonic() - start


# -- a hang ------------------------------------------------------------------------------------
def test_a_dripping_parent_is_cut_by_the_run_deadline(mirror: Path, make_fake_hub: Any,
                                                      tmp_path: Path, capsys: Any) -> None:
    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/base", "action": "drip",
                                         "delay": 0.2, "times": 1000}])
    run, bom, took = _run(capsys, hub, tmp_path / "bom.json", "--deadline", "2")
    # the BOM is written, and the run says it is partial: exit 3, not a clean 0
    assert run.code == 3, run.stderr
    assert "partial" in run.stderr
    assert took < 6, took  # the drip alone would take minutes per answer
    reasons, said = _unresolved(bom, "model:org/base")
    assert reasons == ["hub-error"]
    assert any("timed out" in p and "--deadline" in p for p in said), said
    assert _unresolved(bom, "model:org/other") == ([], [])  # the rest is still written


def test_a_dripping_answer_is_cut_by_the_request_deadline_and_retried(
        mirror: Path, make_fake_hub: Any) -> None:
    # every byte comes well within the 5 s read timeout: only a total deadline ends it
    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/base", "action": "drip",
                                         "delay": 0.1, "times": 1}])
    src = HubSource(hub.endpoint, use_cache=False, timeout=5.0, attempt_deadline=1.0,
                    backoff_base=0.01, backoff_cap=0.05)
    start = time.monotonic()
    try:
        graph: LineageGraph = build_graph("org/child", RunOptions(use_cache=False), source=src)
    finally:
        src.close()
    assert time.monotonic() - start < 4
    assert graph.node("model:org/base").unresolved is None  # the second attempt answered
    assert hub.count("model_info", "org/base") == 2


def test_a_dripping_target_under_a_deadline_is_exit_3(mirror: Path, make_fake_hub: Any,
                                                      tmp_path: Path, capsys: Any) -> None:
    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/child", "action": "drip",
                                         "delay": 0.2, "times": 1000}])
    out = tmp_path / "bom.json"
    run, _, took = _run(capsys, hub, out, "--deadline", "1.5")
    assert run.code == 3 and not out.exists()
    assert took < 5
    assert "org/child" in run.stderr and "timed out" in run.stderr


# -- forged answers ----------------------------------------------------------------------------
def test_an_answer_about_another_repo_is_discarded(mirror: Path, make_fake_hub: Any,
                                                   tmp_path: Path, capsys: Any) -> None:
    add_model(mirror, "evil/forged", card={"license": "forged-license"})
    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/base", "action": "answer_as",
                                         "body": "evil/forged", "times": 1000}])
    run, bom, _ = _run(capsys, hub, tmp_path / "bom.json")
    assert run.code == 0, run.stderr
    reasons, said = _unresolved(bom, "model:org/base")
    assert reasons == ["hub-error"]
    assert any("evil/forged" in p and "not the repo asked for" in p for p in said), said
    text = json.dumps(bom)
    assert "forged-license" not in text and fake_sha("evil/forged") not in text


def test_an_answer_for_another_commit_than_the_pinned_one_is_exit_3(
        mirror: Path, make_fake_hub: Any, tmp_path: Path, capsys: Any) -> None:
    pinned = "1" * 40
    old = mirror / "models" / "org--child" / "revisions" / pinned
    old.mkdir(parents=True)
    info = json.loads((mirror / "models" / "org--child" / "info.json").read_text())
    (old / "info.json").write_text(json.dumps({**info, "sha": "2" * 40}))  # a lying Hub
    hub = make_fake_hub(mirror)
    out = tmp_path / "bom.json"
    run, _, _ = _run(capsys, hub, out, target=f"org/child@{pinned}")
    assert run.code == 3 and not out.exists()
    assert "not the pinned" in run.stderr and "2222222" in run.stderr


def test_bytes_beyond_a_content_length_are_never_read_as_the_next_answer(
        mirror: Path, make_fake_hub: Any, tmp_path: Path, capsys: Any) -> None:
    forged_sha = "f" * 40
    forged = {"id": "org/base", "sha": forged_sha, "cardData": {"license": "forged-license"},
              "siblings": [], "tags": []}
    # after the target's metadata, the same connection carries an answer nobody asked for
    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/child", "action": "smuggle",
                                         "body": json.dumps(forged), "times": 1}])
    run, bom, _ = _run(capsys, hub, tmp_path / "bom.json", "--concurrency", "1")
    assert run.code == 0, run.stderr
    text = json.dumps(bom)
    assert "forged-license" not in text and forged_sha not in text
    for ref in ("model:org/base", "model:org/other"):
        assert _unresolved(bom, ref)[0] == []


# -- one bad parent ----------------------------------------------------------------------------
@pytest.mark.parametrize(("action", "said"), [
    ("redirect_loop", "redirect loop"),
    ("gzip_corrupt", "compressed body is corrupt"),
    ("html", "HTML page"),
])
def test_a_broken_answer_for_one_parent_leaves_it_unresolved(
        mirror: Path, make_fake_hub: Any, tmp_path: Path, capsys: Any, action: str,
        said: str) -> None:
    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/base", "action": action,
                                         "times": 1000}])
    run, bom, took = _run(capsys, hub, tmp_path / "bom.json")
    assert run.code == 0, run.stderr
    reasons, problems_said = _unresolved(bom, "model:org/base")
    assert reasons == ["hub-error"]
    assert any(said in p for p in problems_said), problems_said
    assert _unresolved(bom, "model:org/other") == ([], [])
    assert took < 30


def test_an_html_page_for_the_target_is_an_operational_failure(
        mirror: Path, make_fake_hub: Any, tmp_path: Path, capsys: Any) -> None:
    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/child", "action": "html",
                                         "times": 1000}])
    out = tmp_path / "bom.json"
    run, _, _ = _run(capsys, hub, out)
    assert run.code == 3 and not out.exists()  # not "malformed JSON", exit 2
    assert "HTML page" in run.stderr and hub.endpoint in run.stderr


def test_a_corrupt_gzip_answer_once_is_retried(mirror: Path, make_fake_hub: Any,
                                               tmp_path: Path, capsys: Any) -> None:
    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/base",
                                         "action": "gzip_corrupt", "times": 1}])
    run, bom, _ = _run(capsys, hub, tmp_path / "bom.json")
    assert run.code == 0
    assert _unresolved(bom, "model:org/base") == ([], [])
    assert hub.count("model_info", "org/base") == 2


# -- no network --------------------------------------------------------------------------------
def test_no_network_names_the_endpoint_and_the_ways_out(tmp_path: Path, capsys: Any) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{sock.getsockname()[1]}"
    out = tmp_path / "bom.json"
    start = time.monotonic()
    run, _ = generate(capsys, "org/child", out, "--endpoint", endpoint, "--no-cache")
    assert run.code == 3 and not out.exists()
    assert time.monotonic() - start < 8  # not 16 s of silence
    line = run.stderr.strip().splitlines()[-1]
    assert endpoint in line and "--offline" in line and "--hub-mirror" in line, line


# -- Ctrl-C ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", [
    {"action": 503, "times": 1000},  # the run sits in back-off between attempts
    {"action": "drip", "delay": 0.5, "times": 1000},  # ... or in a socket read
], ids=["backoff", "read"])
def test_ctrl_c_ends_the_run_within_a_second(mirror: Path, make_fake_hub: Any, tmp_path: Path,
                                             fault: dict[str, Any]) -> None:
    import signal

    from hostile import cli_subprocess

    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/base", **fault}])
    proc = cli_subprocess(["generate", "org/child", "--endpoint", hub.endpoint, "--no-cache",
                           "-o", str(tmp_path / "bom.json")])
    deadline = time.monotonic() + 30
    while hub.count("model_info", "org/other") < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # well into the retries of org/base
    assert proc.poll() is None, proc.communicate()
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=20)
    took = time.monotonic() - sent
    assert proc.returncode == 3 and "interrupted" in stderr, stderr
    assert "Traceback" not in stderr
    print(f"interrupt took {took:.3f} s")
    assert took < 1.0, took
    assert not (tmp_path / "bom.json").exists()


def test_hf_hub_offline_is_said_plainly(mirror: Path, make_fake_hub: Any, tmp_path: Path,
                                        capsys: Any, monkeypatch: Any) -> None:
    from huggingface_hub import constants

    hub = make_fake_hub(mirror)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # what HF_HUB_OFFLINE=1 sets
    out = tmp_path / "bom.json"
    run, _, _ = _run(capsys, hub, out)
    assert run.code == 3 and not out.exists()
    assert "HF_HUB_OFFLINE" in run.stderr and "--offline" in run.stderr
    assert hub.count() == 0


def test_the_deadline_holds_through_a_proxy_from_the_environment(
        mirror: Path, make_fake_hub: Any, tmp_path: Path) -> None:
    from hostile import cli_subprocess

    # the fake Hub is the proxy: it answers the absolute-form requests itself, so the
    # endpoint below is reachable only through it
    hub = make_fake_hub(mirror, faults=[{"path": "/api/models/org/base", "action": "drip",
                                         "delay": 0.2, "times": 1000}])
    out = tmp_path / "bom.json"
    env = {"HTTP_PROXY": hub.endpoint, "http_proxy": hub.endpoint, "NO_PROXY": "",
           "no_proxy": ""}
    start = time.monotonic()
    proc = cli_subprocess(["generate", "org/child", "--endpoint", "http://hub.invalid",
                           "--no-cache", "--deadline", "3", "-q", "-o", str(out)], env=env)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 3, stderr  # written, and partial
    assert time.monotonic() - start < 12
    bom = json.loads(out.read_text())
    reasons, said = _unresolved(bom, "model:org/base")
    assert reasons == ["hub-error"] and any("timed out" in p for p in said), said
    assert hub.count("model_info", "org/other") >= 1  # it did go through the proxy


@pytest.mark.parametrize("command", ["tree", "licenses"])
def test_the_run_deadline_reaches_the_commands_with_the_shared_hub_options(
        mirror: Path, make_fake_hub: Any, capsys: Any, command: str) -> None:
    from hostile import run_cli

    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/base", "action": "drip",
                                         "delay": 0.2, "times": 1000}])
    start = time.monotonic()
    run = run_cli([command, "org/child", "--endpoint", hub.endpoint, "--deadline", "2"], capsys)
    assert time.monotonic() - start < 8
    assert run.code == 3, run.stderr  # what was read is shown, and named as partial
    assert "org/base" in run.stdout and "hub-error" in run.stdout + run.stderr


def test_a_kept_alive_connection_the_server_closed_is_replaced_without_a_retry(
        mirror: Path, make_fake_hub: Any) -> None:
    from lineage.sources.hub_client import HubClient

    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/base", "action": "close_after",
                                         "times": 1}])
    client = HubClient(hub.endpoint, backoff_base=5.0, backoff_cap=5.0)  # a retry would show
    first = client.get(f"{hub.endpoint}/api/models/org/base", "org/base", max_bytes=1 << 20)
    time.sleep(0.2)  # the server has closed its side by now
    start = time.monotonic()
    second = client.get(f"{hub.endpoint}/api/models/org/other", "org/other", max_bytes=1 << 20)
    assert time.monotonic() - start < 2
    assert json.loads(first.body)["id"] == "org/base"
    assert json.loads(second.body)["id"] == "org/other"
    assert hub.count("model_info", "org/other") == 1


def test_an_error_answer_is_not_read_past_its_cap(mirror: Path, make_fake_hub: Any) -> None:
    """A 404 whose body goes on for 256 MiB is read only as far as the error message needs:
    the client hangs up, the answer is "not found" with the model named, and it is quick."""
    from lineage.errors import HubError
    from lineage.sources.hub_client import HubClient

    hub = make_fake_hub(mirror, faults=[{"path": "^/api/models/org/base", "action": "huge_error",
                                         "times": 1}])
    client = HubClient(hub.endpoint)
    start = time.monotonic()
    with pytest.raises(HubError) as caught:
        client.get(f"{hub.endpoint}/api/models/org/base", "org/base", max_bytes=1 << 20)
    assert caught.value.reason == "not-found", str(caught.value)
    assert "org/base" in str(caught.value)
    assert time.monotonic() - start < 10
    deadline = time.monotonic() + 5
    while hub.huge_error_bytes_sent == 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # the server thread notes what it wrote when the client hangs up
    assert 0 < hub.huge_error_bytes_sent < 32 << 20  # socket buffers, not the 256 MiB body
