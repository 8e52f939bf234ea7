"""mlkit.report: the evaluation report built from a model on the Jigsaw sample, checked as
HTML and rendered in a real headless Chromium (Debian's ``chromium`` package) driven over
the DevTools protocol: no console error, no failed resource, every plot decoded."""

import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import mlkit  # noqa: E402
from mlkit.report import render_report, write_report  # noqa: E402

pytestmark = pytest.mark.usefixtures("single_blas_thread")

PLOTS = ("Per-label F1 and support", "Precision-recall curves", "Label co-occurrence heatmap")
HOSTILE = '<script>console.error("injected")</script><img src=x onerror="nosuch()"> & "quotes"'


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class _DevTools:
    """A headless Chromium driven over the DevTools protocol on a pipe (no websocket).

    With ``--remote-debugging-pipe`` Chromium reads NUL-terminated JSON commands on
    file descriptor 3 and writes replies and events on descriptor 4.
    """

    def __init__(self, executable):
        import fcntl

        self.profile = tempfile.mkdtemp(prefix="mlkit-chromium-")
        cmd_r, self.cmd_w = os.pipe()
        self.out_r, out_w = os.pipe()
        # move the child's ends above 9 so that the shell can renumber them to 3 and 4
        hi_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
        hi_w = fcntl.fcntl(out_w, fcntl.F_DUPFD, 10)
        os.close(cmd_r)
        os.close(out_w)
        self.proc = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{hi_r} 4>&{hi_w} {hi_r}<&- {hi_w}>&-',
             executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--remote-debugging-pipe", f"--user-data-dir={self.profile}",
             "about:blank"],
            pass_fds=(hi_r, hi_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(hi_r)
        os.close(hi_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def _message(self, deadline):
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            if select.select([self.out_r], [], [], left)[0]:
                chunk = os.read(self.out_r, 1 << 20)
                if not chunk:
                    raise EOFError("Chromium closed the DevTools pipe")
                self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method, timeout=60):
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._message(deadline))

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.cmd_w)
        os.close(self.out_r)
        shutil.rmtree(self.profile, ignore_errors=True)


_PAGE_INFO = """JSON.stringify({
  title: document.title,
  headings: Array.from(document.querySelectorAll("h2")).map(e => e.textContent),
  images: Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete,
                                                 width: i.naturalWidth, height: i.naturalHeight})),
  scripts: Array.from(document.scripts).filter(s => s.type !== "application/json").length,
  data: Array.from(document.scripts).filter(s => s.type === "application/json")
             .map(s => JSON.parse(s.textContent).labels.length),
  text: document.body.innerText
})"""


def render_in_chromium(path):
    """Open ``path`` in headless Chromium; return (page info, console/log problems)."""
    executable = _chromium()
    browser = _DevTools(executable)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget",
                               {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Page.navigate", {"url": "file://" + os.path.abspath(path)},
                     session=session)
        browser.wait_for("Page.loadEventFired")
        result = browser.send("Runtime.evaluate", {"expression": _PAGE_INFO,
                                                   "returnByValue": True}, session=session)
        info = json.loads(result["result"]["value"])
        browser.send("Runtime.evaluate", {"expression": "1"}, session=session)  # flush events
        problems = []
        for event in browser.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                problems.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params["type"] in (
                    "error", "warning", "assert"):
                problems.append(" ".join(str(a.get("value")) for a in params["args"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                problems.append(params["entry"]["text"])
        return info, problems
    finally:
        browser.close()


needs_chromium = pytest.mark.skipif(
    _chromium() is None,
    reason="Chromium is not installed (Debian: apt-get install -y chromium); the report's "
           "browser rendering check needs it")


@pytest.fixture(scope="module")
def evaluated(jigsaw_sample):
    """A model fitted on the Jigsaw sample, with its predictions on the same rows; one
    text is made hostile to check that texts are escaped."""
    texts = list(jigsaw_sample.texts)
    Y = jigsaw_sample.labels.to_numpy()
    model = mlkit.make_classifier("tfidf").set_params(classifier__cv=2)
    model.fit(texts, jigsaw_sample.labels)
    texts = texts.copy()
    worst = int(np.flatnonzero(Y.sum(axis=1) >= 3)[0])  # a row with several labels
    texts[worst] = HOSTILE + " " + texts[worst]
    return model, texts, Y


@pytest.fixture(scope="module")
def report_file(tmp_path_factory, evaluated):
    model, texts, Y = evaluated
    path = tmp_path_factory.mktemp("report") / "report.html"
    # a fixed threshold makes the hostile multi-label row certainly wrong
    page = write_report(path, model, texts, Y, threshold=0.99, model_name="jigsaw.mlkit",
                        data_name="train.csv", thresholds=np.full(Y.shape[1], 0.99))
    return path, page


def test_report_content(report_file, jigsaw_sample):
    path, page = report_file
    assert path.read_text(encoding="utf-8") == page
    for heading in ("Summary", "Per-label F1, support and thresholds", "Precision-recall curves",
                    "Label co-occurrence", "Worst-predicted examples"):
        assert f"<h2>{heading}</h2>" in page
    for alt in PLOTS:
        assert re.search(rf'<img class="plot" alt="{alt}" src="data:image/png;base64,', page)
    # the hostile text is escaped: the only script element is the inert JSON data block
    assert page.count("<script") == 1
    assert '<script type="application/json" id="mlkit-predictions">' in page
    assert "&lt;script&gt;console.error(&quot;injected&quot;)&lt;/script&gt;" in page
    for name in jigsaw_sample.label_names:
        assert f"<td class=\"text\">{name}</td>" in page
    assert "src=\"http" not in page and "href=\"http" not in page  # self-contained


def test_report_embeds_the_predictions_it_shows(report_file, evaluated):
    from mlkit.report import read_report_predictions
    from mlkit.thresholds import apply_thresholds

    model, texts, Y = evaluated
    _, page = report_file
    D, S, names = read_report_predictions(page)
    P = model.predict_proba(texts)
    assert names == [str(n) for n in model.classes_]
    np.testing.assert_array_equal(D, apply_thresholds(P, 0.99))  # the report's threshold=0.99
    np.testing.assert_allclose(S, P, atol=5e-7, rtol=0)  # rounded to 6 decimals
    with pytest.raises(ValueError, match="no embedded predictions"):
        read_report_predictions(render_report(texts, Y, D, embed_predictions=False))


def test_report_thresholds_and_support(evaluated):
    model, texts, Y = evaluated
    names = list(model.classes_)
    page = render_report(texts, Y, model.predict(texts), model.predict_proba(texts),
                         label_names=names, thresholds=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
                         train_support=[1, 2, 3, 4, 5, 6], threshold_note="tuned")
    assert "<th>threshold</th>" in page and "<th>train support</th>" in page
    row = re.search(r"<tr><td class=\"text\">toxic</td>(.*?)</tr>", page).group(1)
    assert '<td class="num">26</td>' in row and '<td class="num">0.100</td>' in row


def test_report_checks_shapes(evaluated):
    model, texts, Y = evaluated
    with pytest.raises(ValueError, match=r"Y_pred has shape \(267, 2\); expected \(267, 6\)"):
        render_report(texts, Y, np.zeros((267, 2)))


@needs_chromium
def test_report_renders_in_chromium(report_file):
    path, _ = report_file
    info, problems = render_in_chromium(path)
    assert problems == []
    assert info["title"] == "mlkit evaluation report"
    assert info["scripts"] == 0  # nothing executable; the JSON data block parses
    assert len(info["data"]) == 1 and info["data"][0] > 0
    assert "Worst-predicted examples" in info["headings"]
    images = {img["alt"]: img for img in info["images"]}
    assert set(images) == set(PLOTS)
    for img in images.values():  # decoded, with real pixels
        assert img["complete"] and img["width"] > 200 and img["height"] > 200
    assert 'console.error("injected")' in info["text"]  # shown as text, not run


@needs_chromium
def test_chromium_check_catches_broken_pages(tmp_path):
    """The harness itself can fail: console errors, exceptions and broken images count."""
    page = tmp_path / "broken.html"
    page.write_text('<html><body><script>console.error("boom"); nosuch();</script>'
                    '<img alt="x" src="missing.png"></body></html>')
    info, problems = render_in_chromium(page)
    assert "boom" in problems
    assert any("Uncaught" in p for p in problems)
    assert any("Failed to load resource" in p for p in problems)
    assert info["images"][0]["width"] == 0
