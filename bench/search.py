"""Warm search latency over HTTP: what a user of the page waits for, stage by stage.

Run against a running server::

    .venv/bin/python bench/search.py --url http://127.0.0.1:8000

or let it build (or reuse) `index/` and start its own `reportqa serve`::

    .venv/bin/python bench/search.py

Every question is asked once to warm up, then `--repeat` times in a row, one
request at a time, so the figures are latency, not throughput (see
bench/load.py for that). End-to-end latency is measured by the client; the
stage breakdown comes from the response's `timings_ms`, so the gap between
the two is HTTP, JSON and framework overhead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
DEV_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"
STAGES = ("embed_ms", "dense_ms", "lexical_ms", "fusion_ms", "answer_ms", "total_ms")
TARGET_P50_MS = 30.0
TARGET_P95_MS = 60.0
HEALTH_TIMEOUT_S = 300.0
# Used when the dev set is not next to the checkout: the same kinds of question (numbers, facts,
# paraphrases, English, Traditional, typos, keywords, unanswerable).
BUILTIN_QUESTIONS = [
    "2024年全市技术合同成交额是多少？",
    "2024年全市入库的科技型中小企业有多少家？",
    "2025年上海生物医药BD交易数量和交易金额分别是多少？",
    "2020年上海发明专利授权量是多少件？",
    "2019年度上海市科学技术奖共有多少个获奖项目？",
    "第17届浦江创新论坛的境外主宾国是哪个国家？",
    "上海成功获得了哪一年世界科技传播大会的主办权？",
    "2024年上海高科技公司享受的税收优惠总额是多少？",
    "截至2025年，跨国公司在上海设立的研发机构累计有多少家？",
    "上海哪个区的公共交通和巡游车已经全部告别燃油车？",
    "2023年上海基础研究经费支出占全社会研发经费支出的比重是多少？",
    "在《2020年全球创新指数》的科技集群排名中，上海位列第几？",
    "上海科技服务业营收2024年和2025年分别是多少？",
    "What share of total R&D spending went to basic research in Shanghai in 2025?",
    "How many foreign-invested R&D centers were newly recognized in Shanghai in 2024?",
    "2025年上海瞪羚企業有多少家？全球排名第幾？",
    "上海的独脚兽企业2025年有几家",
    "大零号湾",
    "2018年上海全社会研发经费支出占GDP的比例是多少？",
    "第18届浦江创新论坛的境外主宾国是哪个国家？",
]


def load_questions(path: Path | None) -> tuple[list[str], str]:
    """Questions from a JSONL file (`q` field), else the dev set if present, else the built-in list."""
    source = path or (DEV_QUESTIONS if DEV_QUESTIONS.exists() else None)
    if source is None:
        return list(BUILTIN_QUESTIONS), "built-in list"
    questions = [json.loads(line)["q"] for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not questions:
        raise SystemExit(f"no questions in {source}")
    return questions, str(source)


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (numpy's default), without needing numpy here."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def reportqa_command() -> list[str]:
    script = Path(sys.executable).with_name("reportqa")
    return [str(script)] if script.exists() else [sys.executable, "-m", "reportqa.cli"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerHandle:
    """The server under test; `pid` only when this script started it (so its memory can be read)."""

    url: str
    pid: int | None = None


def wait_healthy(url: str, process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"reportqa serve exited with {process.returncode} before becoming healthy")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise SystemExit(f"{url} did not become healthy within {timeout:.0f} s")


@contextlib.contextmanager
def server(url: str | None, index: Path, corpus: Path, env: dict[str, str] | None = None) -> Iterator[ServerHandle]:
    """The server at `url`, or a `reportqa serve` of our own over `index` (built first if needed)."""
    if url:
        url = url.rstrip("/")
        wait_healthy(url, None, 30)
        yield ServerHandle(url)
        return
    child_env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE"), **(env or {})}
    print(f"building (or reusing) {index} from {corpus} ...", file=sys.stderr)
    subprocess.run([*reportqa_command(), "build", "--corpus", str(corpus), "--index", str(index)],
                   check=True, env=child_env, cwd=ROOT)
    port = free_port()
    own_url = f"http://127.0.0.1:{port}"
    log_path = index.parent / f".bench-server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*reportqa_command(), "serve", "--index", str(index), "--corpus", str(corpus), "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env=child_env, cwd=ROOT,
        )
    try:
        print(f"started reportqa serve (pid {process.pid}) on {own_url}; waiting for health ...", file=sys.stderr)
        wait_healthy(own_url, process, HEALTH_TIMEOUT_S)
        yield ServerHandle(own_url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log_path.unlink(missing_ok=True)


def add_server_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="A running server (default: start one over --index).")
    parser.add_argument("--index", type=Path, default=ROOT / "index", help="Index for our own server.")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="Corpus for our own server.")
    parser.add_argument("--questions", type=Path, default=None,
                        help=f"JSONL question file (default: {DEV_QUESTIONS} if present, else a built-in list).")
    parser.add_argument("--k", type=int, default=10, help="Passages per search (the page asks for 10).")


def verdict(value: float, target: float, *, higher_is_better: bool = False) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "ok" if ok else "MISSED"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_server_args(parser)
    parser.add_argument("--repeat", type=int, default=5, help="Timed runs of each question.")
    parser.add_argument("--json", action="store_true", help="Also print the figures as one JSON object.")
    parser.add_argument("--indicator", action="append", default=[], metavar="MEASURE",
                        help="Also time GET /api/indicator for this measure (repeatable; target ≤ 100 ms warm).")
    args = parser.parse_args(argv)

    questions, source = load_questions(args.questions)
    with server(args.url, args.index, args.corpus) as handle, \
            httpx.Client(base_url=handle.url, timeout=30) as client:
        health = client.get("/api/health").json()
        for q in questions:  # warm-up: caches, allocator, connection
            client.get("/api/search", params={"q": q, "k": args.k}).raise_for_status()
        latencies: list[float] = []
        stages: dict[str, list[float]] = {s: [] for s in STAGES}
        errors = 0
        for q in questions:
            for _ in range(args.repeat):
                started = time.perf_counter()
                response = client.get("/api/search", params={"q": q, "k": args.k})
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    errors += 1
                    continue
                latencies.append(elapsed)
                timings = response.json()["timings_ms"]
                for stage in STAGES:
                    if stage in timings:
                        stages[stage].append(float(timings[stage]))
        indicator: list[float] = []
        for measure in args.indicator:
            client.get("/api/indicator", params={"q": measure}).raise_for_status()  # warm-up
            for _ in range(args.repeat):
                started = time.perf_counter()
                client.get("/api/indicator", params={"q": measure}).raise_for_status()
                indicator.append((time.perf_counter() - started) * 1000)

    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    if indicator:
        print(f"/api/indicator warm ({len(args.indicator)} measures × {args.repeat}): "
              f"p50 {percentile(indicator, 50):.1f} ms, p95 {percentile(indicator, 95):.1f} ms (target ≤ 100 ms)")
    print(f"server {handle.url} · index {health.get('index_version')} ({health.get('chunk_count')} chunks)")
    print(f"questions: {len(questions)} from {source} · {args.repeat} timed runs each · k={args.k} · "
          f"{len(latencies)} requests · {errors} errors")
    print()
    print(f"{'end-to-end HTTP':<18}{'p50':>9}{'p95':>9}{'max':>9}   targets")
    print(f"{'latency (ms)':<18}{p50:>9.1f}{p95:>9.1f}{max(latencies, default=math.nan):>9.1f}   "
          f"p50 ≤ {TARGET_P50_MS:.0f} ms: {verdict(p50, TARGET_P50_MS)} · "
          f"p95 ≤ {TARGET_P95_MS:.0f} ms: {verdict(p95, TARGET_P95_MS)}")
    print()
    print(f"{'stage (ms)':<18}{'p50':>9}{'p95':>9}")
    for stage, values in stages.items():
        if values:
            print(f"{stage:<18}{percentile(values, 50):>9.2f}{percentile(values, 95):>9.2f}")
    if args.json:
        print(json.dumps({
            "url": handle.url, "index_version": health.get("index_version"), "questions": len(questions),
            "repeat": args.repeat, "requests": len(latencies), "errors": errors,
            "latency_ms": {"p50": p50, "p95": p95, "max": max(latencies, default=math.nan)},
            "stages_ms": {s: {"p50": percentile(v, 50), "p95": percentile(v, 95)} for s, v in stages.items() if v},
        }))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
