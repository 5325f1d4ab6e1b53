"""No secret leaves mlbom: a run with ``--token`` and a credentialed ``--endpoint`` writes
neither into any output format, the mirror folder, or stderr (also when a parent fails)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hostile import add_error, add_model, card_text, new_mirror, run_cli

from lineage.text_safety import printable, redact_secrets, redact_url

TOKEN = "hf_mlbomTestTokenZr8Qw2Lx9Vb4Nc7Kd"
PASSWORD = "pw-Qx7LmN2sV9"
USER = "alice-secret-user"


@pytest.fixture
def secret_hub(tmp_path: Path, make_fake_hub: Any) -> str:
    """A fake Hub with a target, a parent and a gated parent; its credentialed endpoint."""
    root = new_mirror(tmp_path / "hub")
    add_model(root, "org/app", card={"base_model": ["org/base", "org/gated"], "license": "mit"},
              files={"README.md": card_text("base_model: [org/base, org/gated]\nlicense: mit")})
    add_model(root, "org/base", card={"license": "apache-2.0"})
    add_error(root, "org/gated", status=401, reason="gated")
    hub = make_fake_hub(root=root)
    return hub.endpoint.replace("http://", f"http://{USER}:{PASSWORD}@")


def _assert_clean(text: str, where: str) -> None:
    for secret in (TOKEN, PASSWORD, USER):
        assert secret not in text, f"{secret!r} leaked into {where}"


def test_no_output_format_carries_the_token_or_url_credentials(
        tmp_path: Path, capsys: Any, secret_hub: str) -> None:
    hub = ["--endpoint", secret_hub, "--token", TOKEN]
    out = tmp_path / "out"
    out.mkdir()
    runs = {
        "cdx16": ["generate", "org/app", "--no-cache", "-o", str(out / "a.cdx.json"), *hub],
        "cdx17": ["generate", "org/app", "--no-cache", "--spec-version", "1.7",
                  "-o", str(out / "b.cdx.json"), *hub],
        "spdx2": ["generate", "org/app", "--no-cache", "--format", "spdx-json",
                  "-o", str(out / "c.spdx.json"), *hub],
        "spdx3": ["generate", "org/app", "--no-cache", "--format", "spdx3-json",
                  "-o", str(out / "d.spdx3.json"), *hub],
        "tree": ["tree", "org/app", *hub],
        "tree-json": ["tree", "org/app", "--json", *hub],
        "mermaid": ["graph", "org/app", "--format", "mermaid", *hub],
        "dot": ["graph", "org/app", "--format", "dot", *hub],
        "html": ["graph", "org/app", "--format", "html", "-o", str(out / "g.html"), *hub],
        "view": ["view", str(out / "a.cdx.json")],
        "mirror": ["mirror", "org/app", "-o", str(out / "mirror"), *hub],
        "index": ["index", "build", "--from-hub", "--db", f"sqlite:///{out / 'index.db'}",
                  *hub],
        "hub-descendants": ["affected", "org/base", "--hub-descendants", *hub],
    }
    runs.update({f"licenses-{f}": ["licenses", "org/app", "--format", f, "--fail-on", "never",
                                   *hub] for f in ("table", "json", "markdown", "sarif")})
    for name, args in runs.items():
        run = run_cli(args, capsys)
        assert run.code == 0, (name, run.stderr)
        _assert_clean(run.stdout, f"{name} stdout")
        _assert_clean(run.stderr, f"{name} stderr")
    written = [p for p in out.rglob("*") if p.is_file()]
    assert len(written) > 8  # the documents and the mirror's files
    for path in written:  # documents, mirror files and the index database, byte for byte
        _assert_clean(path.read_bytes().decode("latin-1"), str(path))
    bom = json.loads((out / "a.cdx.json").read_text("utf-8"))
    props = {p["name"]: p["value"] for p in bom["metadata"]["properties"]}
    assert props["mlbom:endpoint"].startswith("http://127.0.0.1:")  # still says which Hub
    gated = [c for c in bom["components"] if c["name"] == "org/gated"]
    assert gated and any(p["value"] == "gated" for p in gated[0]["properties"])


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_a_failing_target_error_carries_no_secret(tmp_path: Path, capsys: Any,
                                                   secret_hub: str, debug: list[str]) -> None:
    run = run_cli(["generate", "org/gated", "--no-cache", "--endpoint", secret_hub,
                   "--token", TOKEN, "-o", str(tmp_path / "x.json"), *debug], capsys)
    assert run.code == 3 and "org/gated" in run.stderr
    assert ("Traceback" in run.stderr) == bool(debug)
    _assert_clean(run.stderr, "stderr")


def test_redaction_rules() -> None:
    assert redact_url("https://u:p@hub.example/api?access_token=abc&page=2&X-Amz-Signature=s"
                      ) == "https://hub.example/api?access_token=***&page=2&X-Amz-Signature=***"
    assert redact_url("https://huggingface.co/org/name") == "https://huggingface.co/org/name"
    assert redact_url("sqlite:///PATH") == "sqlite:///PATH"  # nothing to remove: unchanged
    assert redact_url("postgresql://app:pw@db/inv") == "postgresql://db/inv"
    text = redact_secrets("GET http://bob:pw@h:1/x?token=t1 failed; token hf_abcdefghijklmnop1")
    assert "pw" not in text and "t1" not in text and "hf_abc" not in text
    assert printable("ok\x1b]0;title\x07") == "ok\\x1b]0;title\\x07"


def test_redaction_and_printable_properties() -> None:
    """For any text: printable leaves no unsafe character and is idempotent; a password put
    in a URL's userinfo never survives redaction, wherever the URL sits in a message."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from lineage.text_safety import UNSAFE_CHARS

    @settings(max_examples=300, deadline=None)
    @given(st.text())
    def printable_is_safe(text: str) -> None:
        out = printable(text)
        assert not UNSAFE_CHARS.search(out)
        assert printable(out) == out

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126,
                                          blacklist_characters="@/?#:'\"<>`\\[]%"),
                   min_size=6, max_size=20),
           st.text(max_size=30).filter(lambda t: "://" not in t))
    def password_never_survives(password: str, prefix: str) -> None:
        message = f"{prefix} http://user:{password}@host.example:8080/api?x=1 failed"
        assert f"user:{password}" not in redact_secrets(message)

    printable_is_safe()
    password_never_survives()
