"""The ``mlkit`` command line, end to end on real data: the Jigsaw sample (wide 0/1 label
columns, no options) and a GoEmotions slice written to JSON Lines and CSV (label names per
row): train -> evaluate -> predict -> serve (a real uvicorn process) -> request; and one
clear line on stderr with exit status 2 for every kind of bad input."""

import csv
import io
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pandas")

from mlkit.cli import main  # noqa: E402
from mlkit.persistence import load_model, read_metadata  # noqa: E402

pytestmark = pytest.mark.usefixtures("single_blas_thread")

JIGSAW_LABELS = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]


def run(capsys, *argv):
    """Run ``mlkit argv`` in-process; return (status, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_process(*argv, stdin=None, timeout=300):
    """Run ``python -m mlkit argv`` in a subprocess."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONWARNINGS="")
    return subprocess.run([sys.executable, "-m", "mlkit", *map(str, argv)], input=stdin,
                          capture_output=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def jigsaw_files(jigsaw_sample):
    from conftest import shared_data_dir

    folder = shared_data_dir() / "jigsaw_sample"
    return folder / "train.csv", folder / "valid.csv"


@pytest.fixture(scope="module")
def go_files(tmp_path_factory, goemotions_slice):
    """GoEmotions: 500 training rows as JSON Lines (label lists), 150 test rows as CSV
    (comma-joined label names, with an id column)."""
    folder = tmp_path_factory.mktemp("goemotions")
    names = goemotions_slice.label_names
    train = folder / "train.jsonl"
    with open(train, "w", encoding="utf-8") as f:
        for text, y in zip(goemotions_slice.X_train[:500], goemotions_slice.Y_train[:500],
                           strict=True):
            f.write(json.dumps({"text": text, "labels": list(names[np.flatnonzero(y)])}) + "\n")
    test = folder / "test.csv"
    with open(test, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "labels"])
        for i, (text, y) in enumerate(zip(goemotions_slice.X_test[:150],
                                          goemotions_slice.Y_test[:150], strict=True)):
            writer.writerow([f"t{i}", text, ",".join(names[np.flatnonzero(y)])])
    return train, test


@pytest.fixture(scope="module")
def jigsaw_model(tmp_path_factory, jigsaw_files):
    path = tmp_path_factory.mktemp("models") / "jigsaw.mlkit"
    assert main(["train", str(jigsaw_files[0]), "--cv", "2", "-o", str(path), "-q"]) == 0
    return path


@pytest.fixture(scope="module")
def go_model(tmp_path_factory, go_files):
    path = tmp_path_factory.mktemp("models") / "go.mlkit"
    assert main(["train", str(go_files[0]), "--cv", "2", "-o", str(path), "-q"]) == 0
    return path


def _assert_one_line_error(err, command):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"mlkit {command}: error: "), err
    assert "Traceback" not in err


# --------------------------------------------------------------------------
# Jigsaw: train -> evaluate -> predict
# --------------------------------------------------------------------------


def test_train_jigsaw_with_no_layout_options(tmp_path, capsys, jigsaw_files):
    path = tmp_path / "m.mlkit"
    code, out, err = run(capsys, "train", jigsaw_files[0], "--cv", "2", "-o", path)
    assert code == 0, err
    assert "text column 'comment_text', 6 wide 0/1 label columns" in err
    assert "toxic 26, severe_toxic 3, obscene 16, threat 2, insult 16, identity_hate 5" in err
    assert "out_of_fold" in out and "f1_macro" in out
    assert "\r" not in err  # no progress bar when stderr is not a terminal
    meta = read_metadata(path)
    assert meta["label_names"] == JIGSAW_LABELS
    assert meta["serializer"] == "safe"
    assert meta["training_data"]["text_col"] == "comment_text"
    assert meta["training_data"]["label_cols"] == JIGSAW_LABELS
    assert 0 <= meta["metrics"]["out_of_fold"]["f1_micro"] <= 1
    assert meta["metadata"]["cv"] == 2


def test_train_and_predict_one_label(tmp_path, capsys, jigsaw_files):
    """One label is a multi-label problem with one column (it used to end in scikit-learn's
    'Samplewise metrics are not available outside of multilabel classification')."""
    path = tmp_path / "toxic.mlkit"
    code, out, err = run(capsys, "train", jigsaw_files[0], "--label-cols", "toxic", "--cv", "2",
                         "--holdout", "0.3", "-o", path)
    assert code == 0, err
    assert "1 wide 0/1 label columns" in err and "toxic 26" in err
    meta = read_metadata(path)
    assert meta["label_names"] == ["toxic"]
    holdout = meta["metrics"]["holdout"]
    assert holdout["f1_micro"] == pytest.approx(holdout["f1_macro"])  # one label: the same F1
    assert np.isnan(holdout["lrap"])  # rankings between labels: undefined with one label
    out_csv = tmp_path / "pred.csv"
    code, _, err = run(capsys, "predict", path, jigsaw_files[1], "-o", out_csv)
    assert code == 0, err
    assert out_csv.read_text(encoding="utf-8").splitlines()[0].endswith("labels,score_toxic")


def test_train_with_holdout(tmp_path, capsys, jigsaw_files):
    path = tmp_path / "h.mlkit"
    code, out, err = run(capsys, "train", jigsaw_files[0], "--cv", "2", "--holdout", "0.25",
                         "-o", path)
    assert code == 0, err
    meta = read_metadata(path)["metrics"]
    assert meta["holdout_rows"] + meta["train_rows"] == 267
    assert set(meta) >= {"holdout", "out_of_fold"}
    assert "holdout" in out.splitlines()[0]


def test_evaluate_prints_metrics_and_writes_report_and_json(tmp_path, capsys, jigsaw_files,
                                                            jigsaw_model):
    from mlkit.io import read_dataset
    from mlkit.metrics import evaluate

    report, js = tmp_path / "report.html", tmp_path / "metrics.json"
    code, out, err = run(capsys, "evaluate", jigsaw_model, jigsaw_files[1], "--report", report,
                         "--json", js)
    assert code == 0, err
    assert "Evaluation of" in out and "tuned per-label thresholds" in out
    assert "Per-label report (sorted by F1, worst first):" in out
    for name in JIGSAW_LABELS:
        assert name in out
    # the numbers are those of mlkit.metrics on the model's own predictions
    model = load_model(jigsaw_model)
    ds = read_dataset(jigsaw_files[1])
    expected = evaluate(ds.Y, model.predict(ds.texts), model.predict_proba(ds.texts),
                        label_names=JIGSAW_LABELS)
    written = json.loads(js.read_text())
    assert written["metrics"] == pytest.approx(expected, nan_ok=True)
    assert f"f1_micro                 {expected['f1_micro']:.4f}" in out
    assert set(written["per_label"]) == {*JIGSAW_LABELS, "micro avg", "macro avg"}
    page = report.read_text(encoding="utf-8")
    assert page.count('<img class="plot"') == 3 and "Worst-predicted examples" in page


def test_evaluate_on_training_data_warns(capsys, jigsaw_files, jigsaw_model):
    code, out, err = run(capsys, "evaluate", jigsaw_model, jigsaw_files[0], "--sort-by",
                         "support")
    assert code == 0
    assert "warning: DATA is the model's training data: these metrics are optimistic" in err


def test_predict_csv_matches_the_model(tmp_path, capsys, jigsaw_files, jigsaw_model):
    out_path = tmp_path / "pred.csv"
    code, out, err = run(capsys, "predict", jigsaw_model, jigsaw_files[1], "-o", out_path)
    assert code == 0, err
    assert "predicted 25 rows" in err
    pd = pytest.importorskip("pandas")
    pred = pd.read_csv(out_path, keep_default_na=False, dtype=str)
    src = pd.read_csv(jigsaw_files[1], dtype=str)
    assert pred.columns.tolist() == ["id", "labels", *[f"score_{n}" for n in JIGSAW_LABELS]]
    assert pred["id"].tolist() == src["id"].tolist()
    model = load_model(jigsaw_model)
    D = model.predict(src["comment_text"].tolist())
    P = model.predict_proba(src["comment_text"].tolist())
    names = np.asarray(JIGSAW_LABELS)
    ranked = [np.flatnonzero(d)[np.argsort(-p[np.flatnonzero(d)], kind="stable")]
              for d, p in zip(D, P, strict=True)]
    assert pred["labels"].tolist() == [",".join(names[r]) for r in ranked]
    assert sum(bool(x) for x in pred["labels"]) > 0
    np.testing.assert_allclose(pred[[f"score_{n}" for n in JIGSAW_LABELS]].astype(float),
                               P, atol=1e-6)


def test_predict_jsonl_rules_and_batches(tmp_path, capsys, jigsaw_files, jigsaw_model):
    one, many = tmp_path / "one.jsonl", tmp_path / "many.jsonl"
    assert run(capsys, "predict", jigsaw_model, jigsaw_files[0], "--top-k", "2", "-o", one)[0] == 0
    assert run(capsys, "predict", jigsaw_model, jigsaw_files[0], "--top-k", "2", "-o", many,
               "--batch-size", "7")[0] == 0
    assert one.read_bytes() == many.read_bytes()  # batching does not change the output
    records = [json.loads(line) for line in one.read_text().splitlines()]
    assert len(records) == 267 and all(len(r["labels"]) == 2 for r in records)
    assert set(records[0]["scores"]) == set(JIGSAW_LABELS)
    code, out, _ = run(capsys, "predict", jigsaw_model, jigsaw_files[1], "--threshold", "0.5",
                       "--no-scores", "--format", "jsonl", "--keep-cols", "toxic")
    assert code == 0
    first = json.loads(out.splitlines()[0])
    assert set(first) == {"id", "toxic", "labels"}


def test_info(capsys, jigsaw_model):
    code, out, _ = run(capsys, "info", jigsaw_model)
    assert code == 0
    assert "labels (6): toxic, severe_toxic" in out and "thresholds:   per_label" in out
    code, out, _ = run(capsys, "info", jigsaw_model, "--json")
    assert json.loads(out)["format"] == "mlkit-model"


# --------------------------------------------------------------------------
# GoEmotions in JSON Lines and CSV: train -> evaluate -> predict (stdin) -> serve
# --------------------------------------------------------------------------


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_goemotions_end_to_end(tmp_path, capsys, go_files, go_model, goemotions_slice):
    httpx = pytest.importorskip("httpx")
    pytest.importorskip("uvicorn")
    train, test = go_files
    meta = read_metadata(go_model)
    assert meta["training_data"]["layout"] == "tags"
    assert meta["training_data"]["labels_col"] == "labels"
    names = meta["label_names"]

    # evaluate a CSV with comma-joined names: the label column comes from the model file
    code, out, err = run(capsys, "evaluate", go_model, test)
    assert code == 0, err
    assert "label names in column 'labels'" in err
    assert "f1_micro" in out

    # predict from stdin, in a real process
    proc = run_process("predict", go_model, "-", "--format", "jsonl", "--batch-size", "40",
                       stdin=test.read_bytes())
    assert proc.returncode == 0, proc.stderr.decode()
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [r["id"] for r in records] == [f"t{i}" for i in range(150)]

    # serve with a real uvicorn process and ask it about the same texts
    port = _free_port()
    log = open(tmp_path / "serve.log", "w+b")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "mlkit", "serve", str(go_model), "--port", str(port),
         "--no-access-log", "--max-batch", "64"],
        stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
        texts = goemotions_slice.X_test[:40]
        r = httpx.post(f"{base}/predict", json={"texts": texts}, timeout=60)
        assert r.status_code == 200
        served = r.json()["predictions"]
        assert [p["labels"] for p in served] == [rec["labels"] for rec in records[:40]]
        for p, rec in zip(served, records[:40], strict=True):
            assert p["scores"] == pytest.approx(rec["scores"], abs=1e-6)
        assert httpx.get(f"{base}/labels").json()["labels"] == names
        bad = httpx.post(f"{base}/predict", content=b"{not json",
                         headers={"content-type": "application/json"})
        assert bad.status_code == 422
        big = httpx.post(f"{base}/predict", json={"texts": ["x"] * 65})
        assert big.status_code == 413
        assert httpx.get(f"{base}/health").status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    assert server.returncode == 0, (tmp_path / "serve.log").read_text()
    assert f"serving {go_model} on http://127.0.0.1:{port}" in (tmp_path / "serve.log").read_text()


# --------------------------------------------------------------------------
# other commands
# --------------------------------------------------------------------------


def test_version_and_help(capsys):
    import mlkit

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith(f"mlkit {mlkit.__version__}")
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("train", "evaluate", "predict", "serve", "inspect", "info", "demo"):
        assert command in out
    code, _, err = run(capsys)
    assert code == 2 and "give a command" in err


def test_python_dash_m_and_console_script():
    import mlkit

    proc = run_process("--version")
    assert proc.returncode == 0
    assert proc.stdout.decode().startswith(f"mlkit {mlkit.__version__}")
    script = Path(sys.executable).with_name("mlkit")
    if script.exists():
        proc = subprocess.run([str(script), "train", "nope.csv", "-o", "x.mlkit"],
                              capture_output=True, timeout=120)
        assert proc.returncode == 2
        _assert_one_line_error(proc.stderr.decode(), "train")


def test_demo_command(capsys):
    code, out, _ = run(capsys, "demo", "--max-train", "300", "--no-report", "--n-examples", "1")
    assert code == 0
    assert "f1_macro" in out and out.count("predicted:") == 1


def test_inspect(tmp_path, capsys, jigsaw_files):
    import re

    pd = pytest.importorskip("pandas")

    import mlkit.insights as insights

    if not hasattr(insights, "audit"):
        code, _, err = run(capsys, "inspect", jigsaw_files[0])
        assert code == 2
        _assert_one_line_error(err, "inspect")
        assert "needs mlkit.insights.audit" in err
        pytest.skip("mlkit.insights.audit is not available yet; checked the error instead")
    report, clean = tmp_path / "audit.html", tmp_path / "clean.csv"
    code, out, err = run(capsys, "inspect", jigsaw_files[0], "--cv", "2", "--report", report,
                         "--export-clean", clean, "--fix-top", "5")
    assert code == 0, err
    assert "LabelAudit of 267 rows x 6 labels" in out
    assert "most suspicious label cells" in out
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    from mlkit.io import read_dataset

    original = read_dataset(jigsaw_files[0])
    cleaned = read_dataset(clean)
    assert cleaned.label_cols == JIGSAW_LABELS  # the input's layout, every column kept
    assert cleaned.frame.columns.tolist() == original.frame.columns.tolist()
    kept = [original.frame["id"].tolist().index(i) for i in cleaned.frame["id"]]
    changed = int((cleaned.Y != original.Y[kept]).sum()) + (len(original) - len(cleaned))
    assert 0 < changed <= 5  # at most the five most suspicious cells, none below 0.5
    assert re.search(rf"{changed} label cell\(s\) changed by {changed} of \d edit\(s\)", err)
    assert "row = 0-based position in the input data (header not counted)" in out
    # the row numbers printed are positions in the data: the printed text is texts[row]
    first = re.search(r"^\s*(\d+)\s+(toxic|severe_toxic|obscene|threat|insult|identity_hate)\s",
                      out.split("most suspicious label cells")[1], re.M)
    assert first is not None
    row = int(first.group(1))
    assert " ".join(original.texts[row].split())[:30] in " ".join(out.split())
    # the edit log next to the export undoes it: the original file back, byte for byte
    log = tmp_path / "clean.csv.edits.json"
    assert "row = 0-based" in log.read_text(encoding="utf-8")
    restored = tmp_path / "restored.csv"
    code, _, err = run(capsys, "inspect", "--undo", log, "-o", restored)
    assert code == 0, err
    back = read_dataset(restored)
    pd.testing.assert_frame_equal(back.frame, original.frame)  # every cell of every column
    assert back.fingerprint() == original.fingerprint()
    from mlkit.io import write_dataset

    write_dataset(original, tmp_path / "rewritten.csv")  # same bytes as mlkit writes the input
    assert restored.read_bytes() == (tmp_path / "rewritten.csv").read_bytes()
    code, _, err = run(capsys, "inspect", "--undo", log)
    assert code == 2 and "--undo needs -o FILE" in err
    code, _, err = run(capsys, "inspect", jigsaw_files[0], "--undo", log, "-o",
                       tmp_path / "x.csv")
    assert code == 2 and "not the edited data the log was written for" in err


def test_inspect_no_row_left_without_labels_and_undo(tmp_path, capsys, go_files):
    """GoEmotions rows all have a label: by default the export skips (and counts) the
    edits that would empty a row; --allow-empty-rows applies them; --undo restores the
    JSON Lines file with its label lists."""
    import re

    from mlkit.io import read_dataset

    data = read_dataset(go_files[0])
    assert (data.Y.sum(axis=1) > 0).all()
    code, _, err = run(capsys, "inspect", go_files[0], "--export-clean", tmp_path / "c.jsonl")
    assert code == 0, err
    skipped = re.search(r"note: (\d+) edit\(s\) skipped: each would have left a row without "
                        r"labels \(--allow-empty-rows applies them\)", err)
    assert skipped and int(skipped.group(1)) > 0  # measured: 4 of 37 edits
    assert (read_dataset(tmp_path / "c.jsonl").Y.sum(axis=1) > 0).all()
    code, _, err = run(capsys, "inspect", go_files[0], "--export-clean", tmp_path / "e.jsonl",
                       "--allow-empty-rows")
    assert code == 0, err
    emptied = read_dataset(tmp_path / "e.jsonl").Y.sum(axis=1) == 0
    assert emptied.sum() == int(skipped.group(1))  # one skipped edit per row it would empty
    code, _, err = run(capsys, "inspect", "--undo", tmp_path / "e.jsonl.edits.json", "-o",
                       tmp_path / "back.jsonl")
    assert code == 0, err
    back = read_dataset(tmp_path / "back.jsonl")
    assert back.texts == data.texts and (back.Y == data.Y).all()
    assert back.frame.equals(data.frame)


def test_inspect_precomputed_proba_and_min_score(tmp_path, capsys, jigsaw_files):
    """--proba FILE audits probabilities from elsewhere (.npy, or a CSV whose columns are
    matched by label name); --fix-top N never goes below --min-score."""
    pd = pytest.importorskip("pandas")
    from mlkit.insights import audit
    from mlkit.io import read_dataset

    data = read_dataset(jigsaw_files[0])
    a = audit("tfidf", data.texts, data.Y, label_names=data.label_names, cv=2)
    np.save(tmp_path / "p.npy", a.oof_proba)
    named = pd.DataFrame(a.oof_proba, columns=data.label_names)
    named[list(data.label_names[::-1])].to_csv(tmp_path / "p.csv", index=False)
    outs = []
    for proba in ("p.npy", "p.csv"):
        code, out, err = run(capsys, "inspect", jigsaw_files[0], "--cv", "2", "--proba",
                             tmp_path / proba, "--export-clean", tmp_path / f"c_{proba}.csv",
                             "--fix-top", "50")
        assert code == 0, err
        outs.append(out)
        assert "LabelAudit of 267 rows x 6 labels" in out
    assert outs[0] == outs[1]  # same probabilities, same audit
    cleaned = read_dataset(tmp_path / "c_p.npy.csv")
    changed = cleaned.Y != data.Y
    assert changed.any() and np.all(a.issue_scores[changed] >= 0.5)
    assert "scored below --min-score 0.5 and were not applied" in err
    code, _, err = run(capsys, "inspect", jigsaw_files[0], "--cv", "2", "--proba",
                       tmp_path / "p.npy", "--export-clean", tmp_path / "all.csv",
                       "--fix-top", "50", "--min-score", "0", "--allow-empty-rows")
    assert code == 0, err
    rows, cols = a.suggested_cells(50, min_score=0.0)  # the per-label caps still apply
    applied = read_dataset(tmp_path / "all.csv").Y != data.Y
    assert applied.sum() == len(rows) > changed.sum()
    assert (a.issue_scores[applied] < 0.5).any()
    np.save(tmp_path / "scores.npy", a.oof_proba * 8 - 4)
    np.save(tmp_path / "short.npy", a.oof_proba[:, :3])
    for bad, message in (("scores.npy", "looks like decision scores"),
                         ("short.npy", "has 3 columns but Y has 6 labels"),
                         ("nope.npy", "no such file")):
        code, _, err = run(capsys, "inspect", jigsaw_files[0], "-q", "--proba", tmp_path / bad)
        assert code == 2 and message in err, err
        _assert_one_line_error(err, "inspect")


# --------------------------------------------------------------------------
# bad input: one line on stderr, exit status 2
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, jigsaw_model):
    folder = tmp_path_factory.mktemp("bad")
    (folder / "empty.csv").write_bytes(b"")
    (folder / "latin1.csv").write_bytes("text,a\nok,1\ncaf\u00e9,0\n".encode("latin-1"))
    rows = "".join(f"text number {i},{i % 2}\n" for i in range(30))
    (folder / "labels.csv").write_text("text,toxic\n" + rows + "bad row,2\n")
    (folder / "model.pkl").write_bytes(pickle.dumps({"not": "a model"}))
    newer = folder / "newer.mlkit"
    with zipfile.ZipFile(jigsaw_model) as zin, zipfile.ZipFile(newer, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "mlkit-model.json":
                manifest = json.loads(data)
                manifest["format_version"] = 7
                data = json.dumps(manifest).encode()
            zout.writestr(item, data)
    pickled = folder / "pickled.mlkit"
    from mlkit.persistence import save_model

    save_model(load_model(jigsaw_model), pickled, serializer="pickle")
    return folder


@pytest.mark.parametrize("argv,command,message", [
    (["train", "{bad}/missing.csv", "-o", "{bad}/m.mlkit"], "train", "No such file"),
    (["train", "{jigsaw}", "--text-col", "txt", "-o", "{bad}/m.mlkit"], "train",
     "no column 'txt' (--text-col); its columns are: id, comment_text, toxic"),
    (["train", "{jigsaw}", "--label-cols", "toxic,rude", "-o", "{bad}/m.mlkit"], "train",
     "no column 'rude' (--label-cols)"),
    (["train", "{bad}/empty.csv", "-o", "{bad}/m.mlkit"], "train", "is empty"),
    (["train", "{bad}/latin1.csv", "-o", "{bad}/m.mlkit"], "train",
     "not valid utf-8 text: byte 0xe9 at line 3"),
    (["train", "{bad}/labels.csv", "-o", "{bad}/m.mlkit"], "train",
     "label column 'toxic' holds values other than 0 and 1: '2' in row 31"),
    (["train", "{jigsaw}", "--model", "nonsense", "-o", "{bad}/m.mlkit"], "train",
     "--model nonsense: Unknown kind 'nonsense'"),
    (["train", "{jigsaw}", "-o", "{bad}/no/such/dir/m.mlkit"], "train", "does not exist"),
    (["train", "{jigsaw}", "--cv", "1", "-o", "{bad}/m.mlkit"], "train",
     "argument --cv: expected an integer >= 2"),
    (["train", "{jigsaw}"], "train", "the following arguments are required: -o/--output"),
    (["evaluate", "{jigsaw}", "{jigsaw}"], "evaluate",
     "is not an mlkit model file: it looks like a text file"),
    (["evaluate", "{bad}/model.pkl", "{jigsaw}"], "evaluate",
     "is not an mlkit model file: it looks like a Python pickle"),
    (["evaluate", "{bad}/newer.mlkit", "{jigsaw}"], "evaluate",
     "uses model format version 7"),
    (["evaluate", "{bad}/pickled.mlkit", "{jigsaw}"], "evaluate",
     "stores its estimator with pickle, and loading a pickle runs code"),
    (["evaluate", "{model}", "{bad}/labels.csv"], "evaluate",
     "lacks the label column(s) severe_toxic"),
    (["predict", "{model}", "{bad}/empty.csv"], "predict", "is empty"),
    (["predict", "{model}", "{jigsaw}", "--id-col", "ident"], "predict",
     "no column 'ident' (--id-col)"),
    (["predict", "{model}", "{jigsaw}", "--threshold", "1.5"], "predict",
     "expected a probability in [0, 1]"),
    (["serve", "{bad}/model.pkl"], "serve", "is not an mlkit model file"),
    (["serve", "{bad}/pickled.mlkit", "--workers", "2"], "serve", "--trust-pickle"),
    (["info", "{bad}/missing.mlkit"], "info", "No such model file"),
])
def test_bad_input_is_one_line_and_status_2(capsys, bad_files, jigsaw_files, jigsaw_model, argv,
                                           command, message):
    argv = [a.format(bad=bad_files, jigsaw=jigsaw_files[0], model=jigsaw_model) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2, err
    _assert_one_line_error(err, command)
    assert message in err


def test_trust_pickle_loads_a_pickled_model(capsys, bad_files, jigsaw_files):
    code, out, err = run(capsys, "evaluate", bad_files / "pickled.mlkit", jigsaw_files[1],
                         "--trust-pickle")
    assert code == 0, err
    assert "f1_micro" in out


def test_debug_shows_the_traceback(capsys, bad_files):
    code, _, err = run(capsys, "train", bad_files / "empty.csv", "-o", bad_files / "m.mlkit",
                       "--debug")
    assert code == 2
    assert "Traceback" in err and "DataError" in err
    assert err.strip().splitlines()[-1].startswith("mlkit train: error: ")


def test_bad_input_from_a_real_process(bad_files):
    proc = run_process("train", bad_files / "latin1.csv", "-o", bad_files / "m.mlkit")
    assert proc.returncode == 2
    _assert_one_line_error(proc.stderr.decode(), "train")


def test_no_output_file_is_left_behind_on_error(tmp_path, capsys, jigsaw_model):
    src = tmp_path / "in.jsonl"
    good = "".join(json.dumps({"comment_text": f"text {i}"}) + "\n" for i in range(50))
    src.write_text(good + "{broken\n")
    out = tmp_path / "pred.csv"
    code, _, err = run(capsys, "predict", jigsaw_model, src, "-o", out, "--batch-size", "10")
    assert code == 2
    assert "line 51: not valid JSON" in err
    assert not out.exists() and list(tmp_path.iterdir()) == [src]


def test_stdin_bad_input(monkeypatch, capsys, jigsaw_model):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    code, _, err = run(capsys, "predict", jigsaw_model, "-")
    assert code == 2
    assert "<stdin> is empty" in err


# --------------------------------------------------------------------------
# neural kinds (slow: they encode or fine-tune with the local MiniLM model)
# --------------------------------------------------------------------------


@pytest.mark.slow
def test_embeddings_model_trains_saves_safely_and_serves(tmp_path, capsys, monkeypatch,
                                                          jigsaw_files):
    from _neural_fixtures import minilm_dir

    minilm = minilm_dir()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = tmp_path / "emb.mlkit"
    code, out, err = run(capsys, "train", jigsaw_files[0], "--model", "embeddings",
                         "--base-model", minilm, "--cv", "2", "-o", path)
    assert code == 0, err
    meta = read_metadata(path)
    assert meta["serializer"] == "safe"  # the safe format, no pickle
    assert "sentence-transformers" in meta["versions"] and "torch" in meta["versions"]
    code, out, err = run(capsys, "evaluate", path, jigsaw_files[1])
    assert code == 0, err
    from fastapi.testclient import TestClient

    from mlkit.serve import create_app

    with TestClient(create_app(path)) as client:
        r = client.post("/predict", json={"texts": ["you are an idiot", "thanks"]})
    assert r.status_code == 200 and len(r.json()["predictions"]) == 2


@pytest.mark.slow
def test_hybrid_model_trains_saves_safely_and_predicts(tmp_path, capsys, monkeypatch,
                                                      jigsaw_files):
    """--model hybrid: the tfidf and embeddings pipelines blended; --batch-size reaches the
    embedding member; the safe model file predicts what the trained model predicted."""
    from _neural_fixtures import minilm_dir

    from mlkit.persistence import load_model

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = tmp_path / "hybrid.mlkit"
    code, out, err = run(capsys, "train", jigsaw_files[0], "--model", "hybrid",
                         "--base-model", minilm_dir(), "--cv", "2", "--batch-size", "16",
                         "-o", path)
    assert code == 0, err
    assert read_metadata(path)["serializer"] == "safe"
    model = load_model(path)
    blend = model.estimator_
    assert blend.names_ == ["tfidf", "embeddings"]
    assert blend.named_estimators_["embeddings"].named_steps["features"].batch_size == 16
    code, out, err = run(capsys, "evaluate", path, jigsaw_files[1], "--json", "-")
    assert code == 0, err
    assert json.loads(out[out.index("\n{") + 1:])["metrics"]["f1_micro"] > 0


def test_evaluate_is_layout_independent(tmp_path, capsys, go_files, go_model):
    """A model trained on label names per row evaluates a wide 0/1 file of the same rows
    (columns named like its labels) to the same numbers."""
    pd = pytest.importorskip("pandas")
    names = read_metadata(go_model)["label_names"]
    tags = pd.read_csv(go_files[1], keep_default_na=False)
    wide = tags[["id", "text"]].copy()
    for name in names:
        wide[name] = [int(name in cell.split(",")) for cell in tags["labels"]]
    wide_path = tmp_path / "test_wide.tsv"
    wide.to_csv(wide_path, sep="\t", index=False)
    outputs = []
    for data in (go_files[1], wide_path):
        code, out, err = run(capsys, "evaluate", go_model, data, "--json", "-")
        assert code == 0, err
        outputs.append(json.loads(out[out.index("\n{") + 1:])["metrics"])
    assert outputs[0] == pytest.approx(outputs[1], nan_ok=True)


# --------------------------------------------------------------------------
# neural training options (issue 13: Flash-style flags)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "0"], "argument --epochs: expected a positive integer, got '0'"),
    (["--learning-rate", "fast"], "argument --learning-rate: expected a positive number"),
    (["--freeze", "-1"], "argument --freeze: expected none, encoder, or a number of epochs"),
    (["--max-length", "1.5"], "argument --max-length: expected a positive integer"),
    (["--gradient-accumulation", "0"], "argument --gradient-accumulation: expected a positive"),
    (["--epochs", "2"], "--epochs does not apply to --model tfidf, which has no neural network"),
    (["--device", "cpu"], "--device does not apply to --model tfidf"),
    (["--model", "embeddings", "--epochs", "2"],
     "--epochs does not apply to --model embeddings: its SentenceEmbeddingFeaturizer takes no "
     "epochs"),
    (["--model", "embeddings", "--freeze", "encoder"], "--freeze does not apply to --model "
                                                       "embeddings"),
])
def test_training_options_are_checked(tmp_path, capsys, jigsaw_files, argv, message):
    out = tmp_path / "m.mlkit"
    code, _, err = run(capsys, "train", jigsaw_files[0], "-o", out, *argv)
    assert code == 2, err
    _assert_one_line_error(err, "train")
    assert message in err
    assert not out.exists()


def test_device_is_checked_before_the_data_is_read(tmp_path, capsys):
    pytest.importorskip("torch")
    code, _, err = run(capsys, "train", tmp_path / "missing.csv", "-o", tmp_path / "m.mlkit",
                       "--model", "transformer", "--device", "tpu")
    assert code == 2
    _assert_one_line_error(err, "train")
    assert "--device: device='tpu' is not supported; use 'auto', 'cpu'" in err


def test_folder_output_is_for_the_transformer_kind(tmp_path, capsys, jigsaw_files):
    code, _, err = run(capsys, "train", jigsaw_files[0], "-o", f"{tmp_path}/ckpt/")
    assert code == 2
    _assert_one_line_error(err, "train")
    assert "a checkpoint folder holds a fine-tuned transformer" in err


@pytest.fixture(scope="module")
def small_train_csv(tmp_path_factory, goemotions_slice):
    """96 GoEmotions rows, the 6 most frequent labels, as a wide CSV."""
    d = goemotions_slice
    top = np.argsort(-d.Y_train.sum(axis=0))[:6]
    names = [str(n) for n in np.asarray(d.label_names)[top]]
    path = tmp_path_factory.mktemp("small") / "train.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", *names])
        for text, y in zip(d.X_train[:96], d.Y_train[:96][:, top], strict=True):
            writer.writerow([text, *map(int, y)])
    return path, names


def test_transformer_training_flags_reach_the_model(tmp_path, capsys, monkeypatch,
                                                    small_train_csv):
    pytest.importorskip("transformers")
    from _neural_fixtures import minilm_dir

    minilm = minilm_dir()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    data, names = small_train_csv
    flags = ["--model", "transformer", "--base-model", minilm, "--epochs", "1",
             "--max-length", "32", "--batch-size", "16", "--learning-rate", "1e-4",
             "--device", "cpu", "--freeze", "encoder", "--gradient-accumulation", "2"]
    path = tmp_path / "tr.mlkit"
    code, out, err = run(capsys, "train", data, "-o", path, *flags)
    assert code == 0, err
    tuner = load_model(path)
    clf = tuner.estimator_
    params = clf.get_params()
    assert (params["epochs"], params["max_length"], params["batch_size"]) == (1, 32, 16)
    assert params["learning_rate"] == 1e-4 and params["device"] == "cpu"
    assert params["freeze"] == "encoder" and params["gradient_accumulation_steps"] == 2
    # the per-epoch history is printed and kept in the model file's metrics
    assert "Per-epoch history:" in out and "epoch 1" in out and "train_loss" in out
    meta = read_metadata(path)
    assert meta["metrics"]["history"][0]["epoch"] == 1
    # the validation metrics (the tuner's 20 % split) need the tuner to say which rows
    # its held-out scores belong to (ThresholdTuner.oof_rows_)
    if hasattr(tuner, "oof_rows_"):
        assert "the 20% validation split" in err
        assert "f1_macro" in out and "out_of_fold" in out
        assert meta["metrics"]["out_of_fold"]["f1_macro"] >= 0

    folder = tmp_path / "ckpt"
    code, out, err = run(capsys, "train", data, "-o", f"{folder}/", *flags, "-q")
    assert code == 0, err
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert [config["id2label"][str(i)] for i in range(len(names))] == names
    assert len(config["mlkit_thresholds"]) == len(names)
    estimator, manifest = load_model(folder, with_metadata=True)
    assert manifest["label_names"] == names and manifest["thresholds"]["probability"]
