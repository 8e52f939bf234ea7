"""Shared helpers: optional imports, atomic writes, HTML building blocks, plots."""

import os
import stat
import sys

import numpy as np
import pytest

from mlkit._atomic import atomic_write
from mlkit._html import esc, figure_to_img, html_table, render_page, section
from mlkit._optional import import_optional
from mlkit.metrics import average_precision_score, precision_recall_curve_per_label


def test_import_optional_names_the_extra():
    with pytest.raises(ImportError, match=r'pip install "mlkit\[serve\]"') as info:
        import_optional("fastapi_does_not_exist", extra="serve", purpose="mlkit serve")
    assert "mlkit serve requires" in str(info.value)
    # known modules map to their extra without being told
    sys.modules["pyarrow_blocked_for_test"] = None
    try:
        with pytest.raises(ImportError, match=r"pip install pyarrow_blocked_for_test"):
            import_optional("pyarrow_blocked_for_test")
    finally:
        del sys.modules["pyarrow_blocked_for_test"]
    assert import_optional("numpy") is np


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_write(target) as f:
            f.write(b"partial")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.bin"]  # no temporary file left behind

    with atomic_write(target, "w", encoding="utf-8") as f:
        f.write("new")
    assert target.read_text(encoding="utf-8") == "new"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_atomic_write_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist. Create it first"):
        with atomic_write(tmp_path / "missing" / "x.bin"):
            pass
    with pytest.raises(ValueError, match="mode must be"):
        with atomic_write(tmp_path / "x.bin", "ab"):
            pass


def test_html_escapes_and_formats():
    table = html_table([["<script>", 3, 0.12345, True]], ["a", "b", "c", "d"])
    assert "&lt;script&gt;" in table and "<script>" not in table
    assert '<td class="num">3</td>' in table and '<td class="num">0.123</td>' in table
    page = render_page("T <1>", [section("S", "<p>x</p>", section_id="s")], meta="m&m")
    assert page.startswith("<!DOCTYPE html>") and "T &lt;1&gt;" in page and "m&amp;m" in page
    assert '<section id="s"><h2>S</h2><p>x</p></section>' in page
    assert esc('"') == "&quot;"


def test_precision_recall_curve_per_label_matches_average_precision():
    rng = np.random.default_rng(0)
    Y = (rng.random((300, 4)) < 0.3).astype(int)
    Y[:, 3] = 0  # no positive: no curve
    S = Y * 0.4 + rng.random(Y.shape)
    curves = precision_recall_curve_per_label(Y, S)
    assert sorted(curves) == [0, 1, 2]
    ap = average_precision_score(Y, S, average=None)
    for j, (precision, recall, ap_j) in curves.items():
        assert precision.shape == recall.shape and recall[0] == 1.0
        assert ap_j == pytest.approx(ap[j])
    assert list(precision_recall_curve_per_label(Y, S, labels=[2, 0])) == [2, 0]
    with pytest.raises(ValueError, match=r"column indices in \[0, 4\); got 7"):
        precision_recall_curve_per_label(Y, S, labels=[7])


def test_plots_render_to_embedded_png():
    pytest.importorskip("matplotlib", reason="plots need the mlkit[plots] extra")
    from mlkit._plots import plot_histogram, plot_matrix, plot_per_label_f1, plot_pr_curves

    rng = np.random.default_rng(0)
    names = [f"label_{i}" for i in range(50)]
    Y = (rng.random((200, 50)) < 0.2).astype(int)
    S = Y * 0.5 + rng.random(Y.shape)
    figs = {
        "f1": plot_per_label_f1(names, rng.random(50), Y.sum(0)),
        "matrix": plot_matrix(Y.T @ Y, names, title="Co-occurrence", cbar_label="rows"),
        "pr": plot_pr_curves(Y, S, names, [0, 1, 2]),
        "hist": plot_histogram(S.ravel(), xlabel="score", title="Scores"),
    }
    # the 50-label inputs are cut to the 40 most frequent, and the title says so
    assert len(figs["f1"].axes[0].get_yticks()) == 40
    assert "40 most frequent of 50" in figs["f1"].axes[0].get_title()
    assert "(40 of 50 labels)" in figs["matrix"].axes[0].get_title()
    assert len(figs["pr"].axes[0].get_lines()) == 3
    for name, fig in figs.items():
        img = figure_to_img(fig, alt=name)
        assert img.startswith(f'<img class="plot" alt="{name}" src="data:image/png;base64,iVBOR')
    with pytest.raises(ValueError, match="must be square"):
        plot_matrix(np.ones((2, 3)), ["a", "b"], title="t", cbar_label="c")
