"""The page ships inside the wheel: an installed `reportqa` serves it at `/`.

The static files are package data (`pyproject.toml`), found from the installed
package rather than the source tree. A regression here passes every other test,
which all run from the source checkout, so this builds the wheel, installs it
into a private folder and serves `/` from that copy in a subprocess whose
`PYTHONPATH` puts the installed copy ahead of the editable one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.server_utils import REPO

pytestmark = pytest.mark.slow

PAGE_FILES = ("index.html", "app.js", "style.css", "library.html", "library.js",
              "docs/swagger-ui-bundle.js", "docs/swagger-ui.css", "docs/docs.js")

# Runs inside the subprocess: a tiny fake index, the app from the installed copy, GET /.
SERVE_ROOT = """
import json, sys, time
from pathlib import Path
from fastapi.testclient import TestClient
import reportqa
from reportqa.index.build import build_index
from reportqa.web.app import WEB_DIR, AppSettings, create_app
from tests.fakes import FakeEmbedder, write_tiny_corpus

work = Path(sys.argv[1])
corpus = write_tiny_corpus(work / "corpus")
build_index(corpus, work / "index", FakeEmbedder())
app = create_app(AppSettings(index_root=work / "index", corpus_dir=corpus, load_embedder=FakeEmbedder))
with TestClient(app) as client:
    page = client.get("/")
    script = client.get("/app.js")
print(json.dumps({"package": reportqa.__file__, "web_dir": str(WEB_DIR), "status": page.status_code,
                  "type": page.headers.get("content-type"), "html": page.text, "script": script.status_code}))
"""


def build_wheel(dest: Path) -> Path:
    """`pip wheel --no-deps` of a clean copy of the project (no build/ or egg-info left in the checkout).

    No build isolation: the venv's setuptools builds it, so the test needs no network.
    """
    source = dest / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", *(p.name for p in REPO.glob("LICEN[CS]E*"))):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    str(source), "-w", str(dest / "dist")], check=True, capture_output=True, timeout=300)
    (wheel,) = (dest / "dist").glob("reportqa-*.whl")
    return wheel


def test_installed_wheel_serves_the_page(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in PAGE_FILES:
        assert f"reportqa/web/static/{name}" in names, sorted(names)

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    # the installed copy first; the checkout root after it only for `tests.fakes`
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}
    work = tmp_path / "work"
    result = subprocess.run([sys.executable, "-c", SERVE_ROOT, str(work)], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])

    assert Path(out["package"]).is_relative_to(site), out["package"]
    assert Path(out["web_dir"]).is_relative_to(site), out["web_dir"]
    assert out["status"] == 200 and out["type"].startswith("text/html")
    assert "<html" in out["html"].lower() and "app.js" in out["html"]
    assert out["script"] == 200
