"""The README demo, on a slice of the bundled GoEmotions data."""

from mlkit import _demo


def test_demo_runs_and_prints_metrics_and_named_predictions(capsys):
    code = _demo.main(["--max-train", "2000", "--no-report", "--n-examples", "2"])
    out = capsys.readouterr().out
    assert code in (0, None)
    assert "f1_macro" in out
    assert out.count("predicted:") == 2 and out.count("true:") == 2
