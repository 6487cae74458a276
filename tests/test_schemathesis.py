"""The OpenAPI schema says what the server does: schemathesis against the app, in-process.

Property-based requests are generated from `/openapi.json` (valid and invalid
ones) and each response is checked: no 5xx, a status the schema declares for the
operation, a body matching the declared schema and content type, invalid input
rejected with a 4xx, valid input accepted. "Valid" has one exception the schema
cannot express: a well-formed query may still be refused with 422 for what it
means (only punctuation, a script other than Chinese or English, an unknown
report or year), so 422 counts as an accepted answer to schema-valid data.

It runs over the tiny fake index of `tests/fakes.py` with a bounded number of
examples per operation, so it takes seconds; the issue's original run (20,547
cases) is `schemathesis run` against a real server, by hand.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")

from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402

from reportqa.index.build import build_index  # noqa: E402
from reportqa.web.app import AppSettings, create_app  # noqa: E402
from tests.fakes import FakeEmbedder, write_tiny_corpus  # noqa: E402

TOKEN = "schemathesis-admin-token-0123456789"
MAX_EXAMPLES = 30
WAIT_S = 10.0
# Checks' settings, as in a schemathesis.toml: semantic 422s answer schema-valid data (see above).
CONFIG = {
    "checks": {
        "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]},
    },
}


def _loaded_app() -> FastAPI:
    """The app over the tiny index, its index loaded.

    Built at import because `@schema.parametrize()` needs the schema at collection (its
    fixture-based lazy loader does not work with pytest 9); the fake index builds in well
    under a second. Schemathesis runs the app's lifespan once for the process, which
    starts the loader; a plain `TestClient` (no context manager, so no second lifespan)
    waits for it.
    """
    root = Path(tempfile.mkdtemp(prefix="reportqa-schemathesis-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    corpus = write_tiny_corpus(root / "corpus")
    build_index(corpus, root / "index", FakeEmbedder())
    return create_app(AppSettings(index_root=root / "index", corpus_dir=corpus, load_embedder=FakeEmbedder,
                                  admin_token=TOKEN))


APP = _loaded_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=SchemathesisConfig.from_dict(CONFIG))


@pytest.fixture(scope="module", autouse=True)
def _index_loaded() -> None:
    probe = TestClient(APP)
    deadline = time.monotonic() + WAIT_S
    while probe.get("/api/health").status_code != 200:
        assert time.monotonic() < deadline, "the app did not load its index"
        time.sleep(0.02)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_schema(case: object) -> None:
    case.call_and_validate()  # type: ignore[attr-defined]
