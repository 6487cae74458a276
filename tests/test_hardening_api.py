"""The API under hostile use (issue 13): fair limits, admin back-off, strict input, in-process and fast.

Each test builds what it needs over the tiny fake index of `tests/fakes.py`; the
app runs its lifespan (a `TestClient` context) so it loads exactly as `reportqa
serve` does. The fairness of question encoding itself is measured, not asserted
on timing: `bench/load.py --hostile`; here only its rules are checked.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from reportqa.embedding.batching import QueryBatcher, TokenCounter
from reportqa.errors import InvalidQueryError
from reportqa.index.build import build_index
from reportqa.service import validate_query
from reportqa.settings import ServeSettings, Settings
from reportqa.web.app import AppSettings, create_app
from tests.fakes import FakeEmbedder, write_tiny_corpus

QUESTION = "2024年全市技术合同成交额是多少？"
TOKEN = "a-long-enough-admin-token-2024"
WAIT_S = 10.0


class HeldEmbedder(FakeEmbedder):
    """The fake embedder, whose question encoding can be held (so requests stay in flight) until released."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if texts and texts != ["上海科技创新"]:  # the loader's warm-up query is never held
            self.entered.set()
            self.release.wait(WAIT_S)
        return super().embed_queries(texts)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("tiny")
    corpus = write_tiny_corpus(root / "corpus")
    build_index(corpus, root / "index", FakeEmbedder())
    return corpus, root / "index"


@contextlib.contextmanager
def app_client(tiny: tuple[Path, Path], embedder: FakeEmbedder | None = None, *, token: str | None = TOKEN,
               overrides: Sequence[str] = ()) -> Iterator[TestClient]:
    """A client of an app over the tiny index, loaded; `overrides` are `--set` items."""
    corpus, index = tiny
    fake = embedder or FakeEmbedder()
    settings = AppSettings(index_root=index, corpus_dir=corpus, load_embedder=lambda: fake, admin_token=token,
                           settings=Settings().with_overrides(overrides))
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + WAIT_S
        while client.get("/api/health").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        yield client


@pytest.fixture(scope="module")
def client(tiny: tuple[Path, Path]) -> Iterator[TestClient]:
    with app_client(tiny) as c:
        yield c


def detail_of(response: Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail"} and "\n" not in body["detail"], body
    return str(body["detail"])


# --- fair encoding: lengths after normalisation, a token cap, long questions apart -------------------

def test_length_limit_holds_after_normalisation() -> None:
    # U+FDFA is one character that NFKC expands to 18: 30 of them are 540 characters of work.
    with pytest.raises(InvalidQueryError, match=r"once normalised.*limit is 500"):
        validate_query("上海" + "\ufdfa" * 30)


def test_a_query_within_the_limit_after_normalisation_is_accepted() -> None:
    assert validate_query("２０２４年全市技术合同成交额是多少？") == "２０２４年全市技术合同成交额是多少？"


def test_expanding_query_is_422_over_http(client: TestClient) -> None:
    detail = detail_of(client.get("/api/search", params={"q": "科技" + "\ufdfa" * 30}), 422)
    assert "once normalised" in detail and "500" in detail


def test_a_question_is_cut_to_the_token_cap_before_encoding() -> None:
    seen: list[str] = []

    class Recording(FakeEmbedder):
        def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
            seen.extend(texts)
            return super().embed_queries(texts)

    batcher = QueryBatcher(Recording(), ServeSettings(max_query_tokens=8))
    batcher.embed("上海科技创新中心建设成效显著")
    assert seen == ["上海科技创新中心"]  # the fake counts characters as tokens


def test_long_questions_are_never_batched_with_short_ones() -> None:
    class Recording(HeldEmbedder):
        def __init__(self) -> None:
            super().__init__()
            self.batches: list[list[str]] = []

        def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
            self.batches.append(list(texts))
            return super().embed_queries(texts)

    embedder = Recording()
    batcher = QueryBatcher(embedder, ServeSettings(long_query_tokens=10, max_query_tokens=100))
    long = "长三角G60科创走廊建设成效显著，技术合同成交额持续增长"
    embedder.release.clear()
    first = threading.Thread(target=batcher.embed, args=("上海",))
    first.start()
    assert embedder.entered.wait(WAIT_S)  # the encoder is busy: the next questions queue up together
    waiting = [threading.Thread(target=batcher.embed, args=(q,)) for q in ("浦东", long, "松江")]
    for thread in waiting:
        thread.start()
    time.sleep(0.2)
    embedder.release.set()
    for thread in [first, *waiting]:
        thread.join(WAIT_S)
    assert sorted(embedder.batches[1:]) == sorted([[long], ["浦东", "松江"]])


def test_token_counter_without_a_tokenizer_counts_characters() -> None:
    assert TokenCounter(FakeEmbedder()).fit("上海科技", 3) == ("上海科", 3)


# --- one client cannot hold every search slot -----------------------------------------------------

def test_searches_past_the_per_client_limit_are_429_with_retry_after(tiny: tuple[Path, Path]) -> None:
    embedder = HeldEmbedder()
    with app_client(tiny, embedder, overrides=["serve.max_searches_per_client=1"]) as c:
        embedder.release.clear()
        held = threading.Thread(target=c.get, args=("/api/search",), kwargs={"params": {"q": QUESTION}})
        held.start()
        try:
            assert embedder.entered.wait(WAIT_S)
            second = c.get("/api/search", params={"q": "2023年全市技术合同成交额是多少？"})
        finally:
            embedder.release.set()
            held.join(WAIT_S)
        assert "too many searches" in detail_of(second, 429)
        assert int(second.headers["retry-after"]) >= 1
        assert c.get("/api/search", params={"q": QUESTION}).status_code == 200  # the slot is free again


# --- admin: scheme, back-off, short tokens, headers ------------------------------------------------

def test_lowercase_bearer_scheme_is_accepted(client: TestClient) -> None:
    response = client.get("/api/index/rebuild/no-such-job", headers={"Authorization": f"bearer {TOKEN}"})
    assert "no-such-job" in detail_of(response, 404)  # past the token check


def test_missing_token_is_401_with_www_authenticate(client: TestClient) -> None:
    response = client.get("/api/index/rebuild/no-such-job")
    assert "bearer token" in detail_of(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_repeated_wrong_tokens_get_429_with_retry_after(tiny: tuple[Path, Path]) -> None:
    with app_client(tiny, overrides=["serve.admin_max_failures=3", "serve.admin_failure_window_s=60"]) as c:
        wrong = {"Authorization": "Bearer guess"}
        statuses = [c.post("/api/index/rebuild", headers=wrong).status_code for _ in range(3)]
        blocked = c.post("/api/index/rebuild", headers=wrong)
        right_too = c.get("/api/index/rebuild/x", headers={"Authorization": f"Bearer {TOKEN}"})
    assert statuses == [403, 403, 403]
    assert "too many wrong admin tokens" in detail_of(blocked, 429)
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    assert right_too.status_code == 429  # no token is compared while the client waits


def test_short_admin_token_is_warned_about_once_at_start_up(tiny: tuple[Path, Path]) -> None:
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("reportqa.access").addHandler(handler)
    try:
        with app_client(tiny, token="short") as c:
            c.get("/api/health")
    finally:
        logging.getLogger("reportqa.access").removeHandler(handler)
    warnings = [json.loads(line) for line in lines if "weak_admin_token" in line]
    assert len(warnings) == 1
    assert "5 characters" in warnings[0]["warning"] and "16" in warnings[0]["warning"]


def test_405_keeps_its_allow_header(client: TestClient) -> None:
    response = client.delete("/api/index/rebuild/x")
    assert response.status_code == 405 and "GET" in response.headers["allow"]


# --- strict input: UTF-8, document ids -------------------------------------------------------------

def test_invalid_utf8_in_the_query_string_is_400(client: TestClient) -> None:
    detail = detail_of(client.get("/api/search?q=%E4%B8%8A%FF%E6%B5%B7"), 400)
    assert "not valid UTF-8" in detail and "'q'" in detail


def test_percent_encoded_chinese_is_still_searched(client: TestClient) -> None:
    assert client.get("/api/search?q=%E4%B8%8A%E6%B5%B7%E7%A7%91%E6%8A%80").status_code == 200  # 上海科技


@pytest.mark.parametrize("doc", ["../r2024", "r2024/x", "a\\b", "r2024\x00"], ids=["dots", "slash", "bslash", "nul"])
def test_doc_filter_with_path_characters_is_400_like_the_path_id(client: TestClient, doc: str) -> None:
    assert detail_of(client.get("/api/search", params={"q": QUESTION, "doc": doc}), 400) == \
        detail_of(client.get("/api/documents/a%5Cb"), 400)


def test_openapi_declares_what_the_search_enforces(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/search"]["get"]
    params = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert params["q"]["minLength"] == 1 and params["q"]["maxLength"] == 500
    assert (params["k"]["minimum"], params["k"]["maximum"]) == (1, 50)
    assert params["doc"]["pattern"].startswith("^[0-9A-Za-z")
    assert {"400", "422", "429", "503"} <= set(operation["responses"])
