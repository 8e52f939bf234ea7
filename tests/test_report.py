"""mlkit.report and the audit report: built from a model (and an audit) on the Jigsaw sample,
checked as HTML and rendered in a real headless Chromium (Debian's ``chromium`` package)
driven over the DevTools protocol: no console error, no failed resource, no network request,
every plot decoded; the tables' search, filters and sorting and the map's tooltips are used
as a reader would (typing, clicking, hovering), and the pages read as static documents with
JavaScript off. One Chromium serves the whole module."""

import html
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

    def wait_for(self, method, timeout=60, session=None):
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method and (session is None or e.get("sessionId")
                                                     == session) for e in self.events):
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


_PAGE_INFO = """({
  title: document.title,
  headings: Array.from(document.querySelectorAll("h2")).map(e => e.textContent),
  images: Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete,
                                                 width: i.naturalWidth, height: i.naturalHeight})),
  scripts: Array.from(document.scripts).filter(s => s.type !== "application/json").length,
  data: Array.from(document.scripts).filter(s => s.id === "mlkit-predictions")
             .map(s => JSON.parse(s.textContent).labels.length),
  text: document.body.innerText
})"""


class _Page:
    """One tab of a shared browser, with what it logged and requested."""

    def __init__(self, browser, path, *, javascript=True):
        self.browser = browser
        self.url = "file://" + os.path.abspath(path)
        self.target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget",
                                    {"targetId": self.target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.send(f"{domain}.enable")
        if not javascript:
            self.send("Emulation.setScriptExecutionDisabled", {"value": True})
        self.send("Page.navigate", {"url": self.url})
        browser.wait_for("Page.loadEventFired", session=self.session)

    def send(self, method, params=None):
        return self.browser.send(method, params, session=self.session)

    def js(self, expression):
        """Evaluate ``expression`` in the page; its value, through JSON."""
        result = self.send("Runtime.evaluate", {"expression": f"JSON.stringify({expression})",
                                                "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        value = result["result"].get("value")  # absent when the expression is undefined
        return None if value is None else json.loads(value)

    def _events(self):
        self.js("1")  # flush the events sent before this reply
        return [e for e in self.browser.events if e.get("sessionId") == self.session]

    def problems(self):
        """Console errors and warnings, uncaught exceptions, failed loads."""
        problems = []
        for event in self._events():
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                problems.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params["type"] in (
                    "error", "warning", "assert"):
                problems.append(" ".join(str(a.get("value")) for a in params["args"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                problems.append(params["entry"]["text"])
        return problems

    def requests(self):
        """URLs requested other than the page itself and data: URIs (embedded images)."""
        urls = [e["params"]["request"]["url"] for e in self._events()
                if e.get("method") == "Network.requestWillBeSent"]
        assert self.url in urls  # the recording works: it saw the page load
        return [u for u in urls if u != self.url and not u.startswith("data:")]

    def mouse(self, selector, *, click=False):
        """Move the mouse to the centre of the first element matching ``selector`` (and
        click it), as a reader would."""
        x, y = self.js(f"(function(){{var e=document.querySelector({json.dumps(selector)});"
                       "e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();"
                       "return [r.left+r.width/2, r.top+r.height/2];})()")
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        if click:
            for kind in ("mousePressed", "mouseReleased"):
                self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                       "button": "left", "clickCount": 1})

    def type_into(self, selector, text):
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        self.send("Input.insertText", {"text": text})

    def choose(self, selector, value):
        """Pick ``value`` in a <select> (as a reader's choice fires 'change')."""
        self.js(f"(function(){{var s=document.querySelector({json.dumps(selector)});"
                f"s.value={json.dumps(value)};s.dispatchEvent(new Event('change'));}})()")

    def close(self):
        self.browser.send("Target.closeTarget", {"targetId": self.target})


def render_in_chromium(path, browser):
    """Open ``path`` in headless Chromium; return (page info, console/log problems)."""
    page = _Page(browser, path)
    try:
        return page.js(_PAGE_INFO), page.problems()
    finally:
        page.close()


needs_chromium = pytest.mark.skipif(
    _chromium() is None,
    reason="Chromium is not installed (Debian: apt-get install -y chromium); the report's "
           "browser rendering check needs it")


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module (each test opens its own tab)."""
    if _chromium() is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install -y chromium)")
    devtools = _DevTools(_chromium())
    yield devtools
    devtools.close()


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
    # the hostile text is escaped: the script elements are mlkit's own inline script, the
    # map's inert JSON data and the predictions' inert JSON data
    assert page.count("<script") == 3
    assert page.count("<script>") == 1 and page.count('<script type="application/json"') == 2
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
def test_report_renders_in_chromium(report_file, browser):
    path, _ = report_file
    info, problems = render_in_chromium(path, browser)
    assert problems == []
    assert info["title"] == "mlkit evaluation report"
    assert info["scripts"] == 1  # mlkit's inline script; the JSON data block parses
    assert len(info["data"]) == 1 and info["data"][0] > 0
    assert "Worst-predicted examples" in info["headings"]
    images = {img["alt"]: img for img in info["images"]}
    assert set(images) == set(PLOTS)
    for img in images.values():  # decoded, with real pixels
        assert img["complete"] and img["width"] > 200 and img["height"] > 200
    assert 'console.error("injected")' in info["text"]  # shown as text, not run


def test_chromium_check_catches_broken_pages(tmp_path, browser):
    """The harness itself can fail: console errors, exceptions, broken images and network
    requests count."""
    path = tmp_path / "broken.html"
    path.write_text('<html><body><script>console.error("boom"); nosuch();</script>'
                    '<img alt="x" src="missing.png"><img alt="y" src="http://127.0.0.1:9/y.png">'
                    "</body></html>")
    page = _Page(browser, path)
    try:
        info, problems = page.js(_PAGE_INFO), page.problems()
        requests = page.requests()
    finally:
        page.close()
    assert "boom" in problems
    assert any("Uncaught" in p for p in problems)
    assert any("Failed to load resource" in p for p in problems)
    assert info["images"][0]["width"] == 0
    assert "http://127.0.0.1:9/y.png" in requests


# --------------------------------------------------------------------------
# interactive reports: the model report's and the audit report's tables and map
# --------------------------------------------------------------------------

_VISIBLE_ROWS = """Array.from(document.querySelectorAll({sel} + " tbody tr"))
    .filter(r => !r.hidden && r.offsetParent !== null)
    .map(r => Array.from(r.cells).map(c => c.textContent))"""


def _worst_rows(page):
    section = page[page.index('id="worst"'):]
    return section[:section.index("</table>")].count("<tr>") - 1


def _visible(page, table):
    return page.js(_VISIBLE_ROWS.replace("{sel}", json.dumps(table)))


def test_worst_rows_are_numbered_from_0(report_file, evaluated):
    """Row numbers in the report are positions in the input (texts[row])."""
    _, texts, _ = evaluated
    _, page = report_file
    section = page[page.index('id="worst"'):]
    assert "row = 0-based position in the input data (header not counted)" in section
    first = re.search(r'<tbody><tr><td class="num">(\d+)</td><td class="text">(.*?)</td>',
                      section)
    row, shown = int(first.group(1)), html.unescape(first.group(2))
    assert " ".join(texts[row].split()).startswith(shown.rstrip("\u2026"))


def test_report_map_section(report_file, evaluated):
    _, texts, Y = evaluated
    _, page = report_file
    section = page[page.index('id="map"'):page.index('id="worst"')]
    assert section.count("<circle") == len(texts)  # 267 rows: all under the 1,500 cap
    assert "wrongly predicted" in section and "top terms" in section
    no_map = render_report(texts, Y, Y, map_points=0)
    assert 'id="map"' not in no_map and "<circle" not in no_map
    with pytest.raises(ValueError, match="map_points must be an int >= 0"):
        render_report(texts, Y, Y, map_points=-1)


@needs_chromium
def test_report_tables_filter_sort_and_search(report_file, evaluated, browser):
    path, _ = report_file
    _, texts, Y = evaluated
    page = _Page(browser, path)
    try:
        table = "#worst table"
        rows = _visible(page, table)
        n = _worst_rows(report_file[1])
        assert len(rows) == n >= 6  # every wrong row (up to n_worst=25)
        # filter the "missed" column by one label: the rows that missed it remain
        label = rows[0][4].split(", ")[0]
        page.choose("#worst select[aria-label='Filter by missed']", label)
        kept = _visible(page, table)
        assert kept == [r for r in rows if label in r[4].split(", ")] and 0 < len(kept) < n
        page.choose("#worst select[aria-label='Filter by missed']", "")
        # sort by row number, then reverse
        page.mouse(f"{table} th:nth-child(1)", click=True)
        order = [int(r[0]) for r in _visible(page, table)]
        assert order == sorted(int(r[0]) for r in rows)
        page.mouse(f"{table} th:nth-child(1)", click=True)
        assert [int(r[0]) for r in _visible(page, table)] == order[::-1]
        # search the texts: a word of one row's text
        word = max(re.findall(r"[a-z]{6,}", rows[3][1].lower()), key=len)
        page.type_into("#worst input[type=search]", word)
        found = _visible(page, table)
        assert found == [r for r in sorted(rows, key=lambda r: -int(r[0]))
                         if word in "".join(r).lower()]
        assert page.js("document.querySelector('#worst .mk-count').textContent") == \
            f"{len(found)} of {n} rows shown"
        # hover a point of the map: the tooltip names its row and its text
        assert page.js("document.querySelector('#map .mk-tip').hidden") is True
        page.mouse("#map circle:nth-of-type(10)")
        tip = page.js("(function(){var t=document.querySelector('#map .mk-tip');"
                      "return t.hidden ? null : t.textContent;})()")
        row = int(re.match(r"row (\d+)\nwrong labels: ", tip).group(1))
        assert " ".join(texts[row].split())[:60] in tip
        assert page.problems() == [] and page.requests() == []
    finally:
        page.close()


# ---- the audit report ------------------------------------------------------

@pytest.fixture(scope="module")
def audit_file(tmp_path_factory, jigsaw_sample):
    from mlkit.insights import audit

    texts = list(jigsaw_sample.texts)
    texts[5] = HOSTILE + " " + texts[5]
    result = audit(None, texts, jigsaw_sample.labels, cv=3)
    path = tmp_path_factory.mktemp("audit") / "audit.html"
    result.to_html(path, max_rows=60)
    return result, path, path.read_text(encoding="utf-8")


def test_audit_report_map_and_row_numbers(audit_file):
    result, _, page = audit_file
    assert "row = 0-based position in the input data (header not counted)" in page
    section = page[page.index('id="map"'):page.index('id="data-error-score"')]
    assert section.count("<circle") == result.n_samples  # under the cap: every row
    for column in ("error rate", "label mix", "top terms"):
        assert f"<th>{column}</th>" in section
    assert "<script>console" not in page  # the hostile text stays text (also in tooltips)
    issues = page[page.index('id="label-issues"'):page.index('id="label-health"')]
    first = result.label_issues.iloc[0]
    assert f'<tr><td class="num">{int(first.row)}</td><td class="text">{first.label}</td>' \
        in issues


@needs_chromium
def test_audit_report_is_interactive(audit_file, browser):
    result, path, _ = audit_file
    top = result.label_issues.head(60)
    page = _Page(browser, path)
    try:
        table = "#label-issues table"
        assert len(_visible(page, table)) == len(top)
        page.choose("#label-issues select[aria-label='Filter by kind']", "wrong")
        assert len(_visible(page, table)) == int((top["kind"] == "wrong").sum())
        page.choose("#label-issues select[aria-label='Filter by kind']", "")
        label = top["label"].iloc[0]
        page.choose("#label-issues select[aria-label='Filter by label']", label)
        assert [int(r[0]) for r in _visible(page, table)] == \
            top.loc[top["label"] == label, "row"].tolist()
        page.choose("#label-issues select[aria-label='Filter by label']", "")
        page.type_into("#label-issues input[aria-label='score at least']", "0.8")
        shown = _visible(page, table)
        assert len(shown) == int((top["score"].round(3) >= 0.8).sum())
        assert all(float(r[3]) >= 0.8 for r in shown)
        # sort by score, lowest first
        page.mouse(f"{table} th:nth-child(4)", click=True)
        scores = [float(r[3]) for r in _visible(page, table)]
        assert scores == sorted(scores) and len(scores) == len(shown)
        # the map: hover a point, change the colouring
        page.mouse("#map circle:nth-of-type(3)")
        tip = page.js("document.querySelector('#map .mk-tip').textContent")
        match = re.match(r"row (\d+)\ndata error score: ([\d.]+)\nissue kind: (\w+)", tip)
        row = int(match.group(1))
        assert float(match.group(2)) == round(result.data_error_scores[row], 2)
        before = page.js("Array.from(document.querySelectorAll('#map circle'), c => c.getAttribute('fill'))")
        page.choose("#map select[aria-label='Colour by']", "1")  # issue kind
        after = page.js("Array.from(document.querySelectorAll('#map circle'), c => c.getAttribute('fill'))")
        assert before != after and len(set(after)) <= 4
        assert "missing" in page.js("document.querySelector('#map .mk-legend').textContent")
        assert page.problems() == [] and page.requests() == []
    finally:
        page.close()


@needs_chromium
def test_reports_read_as_static_pages_without_javascript(audit_file, report_file, browser):
    result, audit_path, _ = audit_file
    for path, table, n_rows in ((audit_path, "#label-issues table",
                                 min(60, len(result.label_issues))),
                                (report_file[0], "#worst table",
                                 _worst_rows(report_file[1]))):
        page = _Page(browser, path, javascript=False)
        try:
            assert len(_visible(page, table)) == n_rows  # every row shown, no control added
            assert page.js("document.querySelectorAll('input, select').length") == 0
            fills = page.js("Array.from(document.querySelectorAll('#map circle'), "
                            "c => c.getAttribute('fill'))")
            assert len(fills) > 100 and len(set(fills)) > 1  # drawn in the first colouring
            assert page.problems() == [] and page.requests() == []
        finally:
            page.close()
