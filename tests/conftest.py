"""Shared pytest fixtures.

The Hugging Face environment is fixed at import time, before any test module imports
``huggingface_hub`` (which reads ``HF_*`` variables once, into its ``constants``): the cache
lives in a throw-away folder, telemetry is off, no token is sent, and the default endpoint is an
unroutable loopback port, so a test that forgets ``endpoint=`` fails fast instead of reaching the
internet. Tests talk to the loopback fake Hub (``tests/fakehub.py``) through ``fake_hub`` or
``make_fake_hub``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
HUB_SNAPSHOT = REPO_ROOT / "fixtures" / "hub"
UNROUTABLE_ENDPOINT = "http://127.0.0.1:9"

_HF_HOME = Path(tempfile.mkdtemp(prefix="mlbom-test-hf-home-"))
os.environ.update(
    {
        "HF_HOME": str(_HF_HOME),
        "HF_HUB_CACHE": str(_HF_HOME / "hub"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
        "HF_ENDPOINT": UNROUTABLE_ENDPOINT,
    }
)
for _name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_TOKEN_PATH"):
    os.environ.pop(_name, None)

from fakehub import FakeHub, FaultRule  # noqa: E402 - after the environment is fixed


@pytest.fixture(scope="session", autouse=True)
def hf_isolated_env() -> Iterator[Path]:
    """Keep every test away from the user's HF cache, token and the real Hub.

    Yields the temporary ``HF_HOME``; removes it at the end of the session.
    """
    os.environ["HF_HOME"] = str(_HF_HOME)
    os.environ["HF_HUB_CACHE"] = str(_HF_HOME / "hub")
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["HF_ENDPOINT"] = UNROUTABLE_ENDPOINT
    yield _HF_HOME
    shutil.rmtree(_HF_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def fake_hub() -> Iterator[FakeHub]:
    """The bundled snapshot ``fixtures/hub`` served over loopback for the whole session.

    Shared: tests that count requests call ``fake_hub.reset_counts()`` first, and none may
    add fault rules to it (use ``make_fake_hub`` for that).
    """
    with FakeHub(HUB_SNAPSHOT) as hub:
        yield hub


MakeFakeHub = Callable[..., FakeHub]


@pytest.fixture
def make_fake_hub() -> Iterator[MakeFakeHub]:
    """A factory for private fake Hubs: ``make_fake_hub(root=None, rtt=0.0, faults=(), **kw)``.

    ``root`` defaults to the bundled snapshot. Every server started is stopped at teardown.
    """
    started: list[FakeHub] = []

    def make(
        root: str | os.PathLike[str] | None = None,
        rtt: float = 0.0,
        faults: Iterable[FaultRule | Mapping[str, Any]] = (),
        **kwargs: Any,
    ) -> FakeHub:
        hub = FakeHub(Path(root) if root is not None else HUB_SNAPSHOT, rtt=rtt, faults=faults,
                      **kwargs)
        started.append(hub.start())
        return hub

    yield make
    for hub in started:
        hub.stop()
