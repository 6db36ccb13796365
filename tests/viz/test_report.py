"""``nnblocks report RUN``: one self-contained HTML page, checked in a real headless browser."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import nnblocks.nn as nn
from nnblocks.cli.main import main
from nnblocks.viz.images import png_bytes
from nnblocks.viz.report import SECTIONS, write_report
from tests.viz.browser import inspect_page, problems
from tests.viz.conftest import require_program

SECTION_IDS = [sid for sid, _ in SECTIONS]


@pytest.fixture(scope="module")
def run_report(tmp_path_factory) -> Path:
    """A one-epoch cnn-bn run on the digits and its report, made by the CLI."""
    run = tmp_path_factory.mktemp("run")
    assert main(["train", "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    assert main(["report", str(run)]) == 0
    return run / "report.html"


def test_report_has_every_section_and_needs_no_network(run_report):
    page = run_report.read_text()
    for sid, title in SECTIONS:
        assert f'<section id="{sid}"' in page and f"<h2>{title}</h2>" in page
    assert not re.search(r'(src|href)="(?!data:|#)', page)       # nothing to fetch
    assert "<style>" in page and "<link" not in page and "<script" not in page
    matrix = page[page.index('id="confusion"'):page.index('id="worst"')]
    counts = [int(v) for v in re.findall(r"<td style=[^>]*>(\d+)</td>", matrix)]
    assert len(counts) == 100 and sum(counts) == 359            # the digits' test split
    assert page.count('alt="test example') == 12


def test_worst_examples_are_the_highest_losses(tmp_path, rng):
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3, rng=rng))
    x = rng.standard_normal((20, 1, 4, 4)).astype(np.float32)
    y = rng.integers(0, 3, 20)
    page = write_report(tmp_path / "r.html", model=model, test=(x, y), worst=3).read_text()
    logits = x.reshape(20, 16).astype(np.float64) @ model[1].weight.array.T + model[1].bias.array
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    losses = -logp[np.arange(20), y]
    expected = np.argsort(-losses, kind="stable")[:3]
    shown = [int(i) for i in re.findall(r'alt="test example (\d+)"', page)]
    assert shown == expected.tolist()
    assert "no convolutional first stage" in page              # an MLP has no feature maps
    assert "no training history recorded" in page


def test_png_encoder_round_trips_through_pillow():
    import io

    from PIL import Image

    image = np.linspace(0, 1, 12).reshape(3, 4)
    decoded = np.asarray(Image.open(io.BytesIO(png_bytes(image))))
    assert decoded.shape == (3, 4) and np.array_equal(decoded, np.round(image * 255))


def test_report_in_headless_chromium(run_report, tmp_path):
    chromium = require_program("chromium", "the browser test of the HTML report")
    report = inspect_page(chromium, run_report, tmp_path / "profile")
    assert problems(report, SECTION_IDS) == []
    assert [s["id"] for s in report.sections] == SECTION_IDS
    assert [s["title"] for s in report.sections] == [t for _, t in SECTIONS]
    assert all(s["pictures"] > 0 for s in report.sections)     # an image, SVG or table each
    assert len(report.images) == 17 and all(i["width"] > 0 for i in report.images)
    assert report.svgs >= 1                                      # the graph, inline SVG
    import io

    from PIL import Image

    shot = np.asarray(Image.open(io.BytesIO(report.screenshot)).convert("L"))
    assert shot.shape == (900, 1280) and shot.std() > 10        # something was drawn


def test_the_browser_test_fails_on_a_missing_section_or_a_broken_image(run_report, tmp_path):
    """The test of the test: break the page on purpose, and the checks must say so."""
    chromium = require_program("chromium", "the browser test of the HTML report")
    page = run_report.read_text()
    start = page.index('<section id="filters"')
    broken = page[:start] + page[page.index("</section>", start) + len("</section>"):]
    layers = broken.index('<section id="layers"')
    broken = broken[:broken.index("<table", layers)] + broken[broken.index("</section>", layers):]
    first_image = re.search(r'src="data:image/png;base64,([^"]{40})', broken)
    broken = broken.replace(first_image.group(1), "A" * 40, 1)   # a corrupt PNG
    broken = broken.replace("</main>", '<img src="missing.png" alt="no such file"></main>')
    broken = broken.replace("</body>", "<script>console.error('boom')</script></body>")
    path = tmp_path / "broken.html"
    path.write_text(broken)
    found = problems(inspect_page(chromium, path, tmp_path / "profile"), SECTION_IDS)
    assert "section 'filters' is missing" in found
    assert "section 'layers' has no content" in found
    assert "image 'learning curves' did not load" in found
    assert "image 'no such file' did not load" in found
    assert any(p.startswith("failed request: net::ERR_FILE_NOT_FOUND") for p in found)
    assert any("boom" in p for p in found)
