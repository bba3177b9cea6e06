"""The store scenarios of ``test_store_congruence`` against a real Qdrant server.

Runs only when ``QDRANT_URL`` is set (e.g. ``QDRANT_URL=http://127.0.0.1:6333 pytest -m server``);
otherwise every test here is skipped with that reason. The scenarios are imported unchanged and
the ``kind`` / ``kinds`` fixtures are overridden so they run on ``ServerStore(QDRANT_URL)``.
"""

from __future__ import annotations

import os

import pytest
from test_store_congruence import *  # noqa: F403  (the scenarios, collected again here)

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not os.environ.get("QDRANT_URL"), reason="set QDRANT_URL to run on a Qdrant server"),
]


@pytest.fixture(params=["server"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def kinds() -> list[str]:
    return ["server"]
