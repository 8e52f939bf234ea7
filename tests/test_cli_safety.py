"""Nothing lost, and one clear line for every bad input (issue 11): no command writes over
one of its inputs whatever the path spelling; temporary files never survive (exceptions,
interrupts, a SIGKILLed writer); bad option values and hostile files exit 2 with one line;
a model evaluated on data with other label names is refused or evaluated on the common
labels."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pandas")

from mlkit._atomic import STALE_AFTER_S, _host_tag, atomic_write  # noqa: E402
from mlkit.cli import main  # noqa: E402

pytestmark = pytest.mark.usefixtures("single_blas_thread")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err, command):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"mlkit {command}: error: "), err
    assert "Traceback" not in err and "unexpected" not in err, err
    return lines[0]


def temp_files(folder):
    return sorted(p.name for p in Path(folder).iterdir()
                  if p.name.endswith((".mlkit-tmp", ".tmp")))


@pytest.fixture(scope="module")
def sample():
    from conftest import shared_data_dir

    folder = shared_data_dir() / "jigsaw_sample"
    if not (folder / "train.csv").is_file():
        pytest.skip("the Jigsaw sample is not in the shared data folder")
    return folder / "train.csv", folder / "valid.csv"


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, sample):
    path = tmp_path_factory.mktemp("safety_model") / "model.mlkit"
    assert main(["train", str(sample[0]), "--cv", "2", "-o", str(path), "-q"]) == 0
    return path


@pytest.fixture
def work(tmp_path, sample, model_file, monkeypatch):
    """A folder 'work' (the current directory) holding data.csv and model.mlkit."""
    folder = tmp_path / "work"
    folder.mkdir()
    shutil.copyfile(sample[1], folder / "data.csv")
    shutil.copyfile(model_file, folder / "model.mlkit")
    monkeypatch.chdir(folder)
    return folder


# --------------------------------------------------------------------------
# 1. no command writes over one of its inputs
# --------------------------------------------------------------------------

def _spellings(folder, name):
    """Ways to name ``folder/name``: relative, absolute, ./x, ../dir/x, a symlink, a hard
    link (the links are made here)."""
    os.symlink(name, folder / f"sym-{name}")
    os.link(folder / name, folder / f"hard-{name}")
    return [name, str(folder / name), f"./{name}", f"../{folder.name}/{name}",
            f"sym-{name}", f"hard-{name}"]


OVERWRITES = [
    # argv with {out} for the output path, the flag, the input it names, the command
    (["predict", "model.mlkit", "data.csv", "-o", "{out}"], "-o", "data.csv", "DATA"),
    (["predict", "model.mlkit", "data.csv", "-o", "{out}"], "-o", "model.mlkit", "MODEL"),
    (["train", "data.csv", "--cv", "2", "-o", "{out}"], "-o", "data.csv", "DATA"),
    (["evaluate", "model.mlkit", "data.csv", "--json", "{out}"], "--json", "data.csv", "DATA"),
    (["evaluate", "model.mlkit", "data.csv", "--json", "{out}"], "--json", "model.mlkit",
     "MODEL"),
    (["evaluate", "model.mlkit", "data.csv", "--report", "{out}"], "--report", "data.csv",
     "DATA"),
    (["inspect", "data.csv", "--cv", "2", "--export-clean", "{out}"], "--export-clean",
     "data.csv", "DATA"),
    (["inspect", "data.csv", "--cv", "2", "--report", "{out}"], "--report", "data.csv",
     "DATA"),
]


@pytest.mark.parametrize("argv,flag,target,what", OVERWRITES,
                         ids=[f"{a[0]} {f} {t}" for a, f, t, _ in OVERWRITES])
def test_no_command_writes_over_its_input(capsys, work, argv, flag, target, what):
    before = {p.name: p.read_bytes() for p in work.iterdir()}
    for out in _spellings(work, target):
        code, _, err = run(capsys, *[a.replace("{out}", out) for a in argv])
        assert code == 2, (out, err)
        line = one_line_error(err, argv[0])
        assert f"{flag} {out} is the input {what} file; choose another output path." in line
    for name, data in before.items():  # nothing changed, nothing added but the links
        assert (work / name).read_bytes() == data
    assert temp_files(work) == []
    assert sorted(p.name for p in work.iterdir()) == sorted(
        [*before, f"sym-{target}", f"hard-{target}"])


def test_two_outputs_of_one_command_on_one_file(capsys, work):
    os.symlink("out.json", work / "alias.json")
    for a, b in [("out.json", "out.json"), ("out.json", "./out.json"),
                 ("out.json", "alias.json")]:
        code, _, err = run(capsys, "evaluate", "model.mlkit", "data.csv", "--json", a,
                           "--report", b)
        assert code == 2
        assert f"--json {a} and --report {b} are the same file" in one_line_error(
            err, "evaluate")
    code, _, err = run(capsys, "inspect", "data.csv", "--report", "same.csv",
                       "--export-clean", "same.csv")
    assert code == 2 and "are the same file" in one_line_error(err, "inspect")
    assert not (work / "out.json").exists() and not (work / "same.csv").exists()


def test_stdout_and_other_paths_are_still_written(capsys, work):
    code, out, err = run(capsys, "predict", "model.mlkit", "data.csv", "-o", "-")
    assert code == 0, err
    assert out.startswith("id,labels,")
    code, _, err = run(capsys, "predict", "model.mlkit", "./data.csv", "-o", "../work/p.csv")
    assert code == 0, err
    assert (work / "p.csv").read_text().startswith("id,labels,")


# --------------------------------------------------------------------------
# 2. temporary files never survive
# --------------------------------------------------------------------------

@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt, SystemExit])
def test_atomic_write_cleans_up_on_every_exit(tmp_path, exc):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(exc), atomic_write(target, "w") as f:
        f.write("half written")
        assert temp_files(tmp_path) != []  # the temporary file is recognisable
        raise exc()
    assert target.read_text() == "old"
    assert temp_files(tmp_path) == []


def test_atomic_write_through_a_symlink_keeps_the_link_and_the_mode(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    os.chmod(real, 0o640)
    link = tmp_path / "link.txt"
    os.symlink("real.txt", link)
    with atomic_write(link, "w") as f:
        f.write("new")
    assert link.is_symlink() and real.read_text() == "new"
    assert real.stat().st_mode & 0o777 == 0o640


def test_stale_temporary_files_are_swept(tmp_path):
    target = tmp_path / "out.txt"
    host = _host_tag()
    other = "0" * 6 if host != "0" * 6 else "1" * 6
    old = time.time() - STALE_AFTER_S - 60
    names = {
        "dead_here": f".out.txt.{host}-{2**22 + 12345}-aa.mlkit-tmp",  # no such pid
        "old_elsewhere": f".out.txt.{other}-1-bb.mlkit-tmp",
        "fresh_elsewhere": f".out.txt.{other}-1-cc.mlkit-tmp",  # another machine, live?
        "mine": f".out.txt.{host}-{os.getpid()}-dd.mlkit-tmp",  # this (live) process
        "other_target": f".other.txt.{host}-{2**22 + 12345}-ee.mlkit-tmp",
    }
    for key, name in names.items():
        (tmp_path / name).write_text("x")
        if key == "old_elsewhere":
            os.utime(tmp_path / name, (old, old))
    with atomic_write(target, "w") as f:
        f.write("ok")
    left = set(temp_files(tmp_path))
    assert left == {names["fresh_elsewhere"], names["mine"], names["other_target"]}


def test_sigterm_cleans_up_like_an_interrupt(capsys, work, monkeypatch):
    from mlkit.inference import Predictor

    original = Predictor.predict

    def predict_then_terminated(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        assert temp_files(work) != []  # the output is being written
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
        return result

    monkeypatch.setattr(Predictor, "predict", predict_then_terminated)
    before = signal.getsignal(signal.SIGTERM)
    code, _, err = run(capsys, "predict", "model.mlkit", "data.csv", "-o", "p.csv",
                       "--batch-size", "5")
    assert code == 143
    assert err.strip().splitlines()[-1] == "mlkit predict: terminated"
    assert temp_files(work) == [] and not (work / "p.csv").exists()
    assert signal.getsignal(signal.SIGTERM) is before  # restored


_KILLED_WRITER = """
import sys
from mlkit._atomic import atomic_write
with atomic_write(sys.argv[1], "w") as f:
    f.write("x" * 1_000_000)
    f.flush()
    print("writing", flush=True)
    while True:
        f.write("x" * 1_000_000)
        f.flush()
"""


def test_a_killed_writer_leaves_no_temp_file_after_the_next_run(capsys, work):
    out = work / "pred.csv"
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(out)],
                            stdout=subprocess.PIPE, cwd=work)
    try:
        assert proc.stdout.readline().strip() == b"writing"
        time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert len(temp_files(work)) == 1 and not out.exists()  # what kill -9 leaves
    code, _, err = run(capsys, "predict", "model.mlkit", "data.csv", "-o", out)
    assert code == 0, err
    assert temp_files(work) == []
    assert out.read_text().startswith("id,labels,")


# --------------------------------------------------------------------------
# 3. bad option values and hostile files: exit 2, one line
# --------------------------------------------------------------------------

BAD = [
    (["predict", "model.mlkit", "data.csv", "--encoding", "nosuch"],
     "argument --encoding: unknown text encoding 'nosuch'"),
    (["predict", "model.mlkit", "data.csv", "--encoding", "base64"],
     "unknown text encoding 'base64'"),
    (["predict", "model.mlkit", "data.csv", "--encoding", "utf-16"],
     "data.csv is not valid utf-16 text"),
    (["evaluate", "model.mlkit", "data.csv", "--encoding", "rot13"],
     "unknown text encoding 'rot13'"),
    (["train", "data.csv", "-o", "m.mlkit", "--encoding", "nosuch"],
     "unknown text encoding 'nosuch'"),
    (["inspect", "data.csv", "--encoding", "zlib"], "unknown text encoding 'zlib'"),
    (["predict", "model.mlkit", "data.csv", "--label-sep", ""], "--label-sep is empty"),
    (["predict", "model.mlkit", "data.csv", "--text-col", ""], "no column '' (--text-col)"),
    (["predict", "model.mlkit", "data.csv", "-o", "adir"], "-o adir is a directory"),
    (["predict", "model.mlkit", "data.csv", "-o", "nodir/p.csv"], "does not exist"),
    (["train", "data.csv", "-o", ""], "-o is empty"),
    (["train", "data.csv", "-o", "adir"], "-o adir is a directory"),
    (["train", "data.csv", "-o", "m.mlkit", "--n-jobs", "0"],
     "argument --n-jobs: expected a non-zero integer"),
    (["train", "data.csv", "-o", "m.mlkit", "--random-state", "-1"],
     "argument --random-state: expected an integer seed"),
    (["inspect", "data.csv", "--n-jobs", "0"], "argument --n-jobs"),
    (["inspect", "data.csv", "--random-state", "x"], "argument --random-state"),
    (["inspect", "data.csv", "--export-clean", "adir"], "--export-clean adir is a directory"),
    (["inspect", "data.csv", "--report", "nodir/r.html"], "does not exist"),
    (["evaluate", "model.mlkit", "data.csv", "--json", "adir"], "--json adir is a directory"),
    (["evaluate", "model.mlkit", "data.csv", "--json", "nodir/m.json"], "does not exist"),
    (["evaluate", "model.mlkit", "data.csv", "--report", "adir"],
     "--report adir is a directory"),
    (["predict", "model.mlkit", "adir"], "'adir' is a directory"),
    (["predict", "model.mlkit", "empty.csv"], "is empty"),
    (["predict", "model.mlkit", "junk.bin"], "is not valid utf-8 text"),
    (["evaluate", "model.mlkit", "junk.bin"], "is not valid utf-8 text"),
    (["train", "junk.bin", "-o", "m.mlkit"], "is not valid utf-8 text"),
    (["inspect", "empty.csv"], "is empty"),
    (["predict", "adir", "data.csv"], "is a directory, not a model file"),
    (["evaluate", "junk.bin", "data.csv"], "is not an mlkit model file"),
    (["info", "empty.csv"], "is not an mlkit model file"),
    (["serve", "junk.bin"], "is not an mlkit model file"),
]


@pytest.mark.parametrize("argv,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_values_and_hostile_files_exit_2_with_one_line(capsys, work, argv, message):
    (work / "adir").mkdir()
    (work / "empty.csv").write_bytes(b"")
    (work / "junk.bin").write_bytes(bytes(range(256)) * 8)
    before = sorted(p.name for p in work.iterdir())
    code, _, err = run(capsys, *argv)
    assert code == 2, err
    assert message in one_line_error(err, argv[0])
    assert sorted(p.name for p in work.iterdir()) == before  # nothing written


# --------------------------------------------------------------------------
# 4. evaluate on data with other label names
# --------------------------------------------------------------------------

def _tags_file(path, rows):
    import csv

    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "labels"])
        writer.writerows(rows)


def test_evaluate_refuses_data_with_no_label_in_common(capsys, work):
    _tags_file(work / "tags.csv", [["you are great", "joy,love"], ["go away", "anger"]])
    code, out, err = run(capsys, "evaluate", "model.mlkit", "tags.csv", "--labels-col",
                         "labels", "-q")
    assert code == 2 and out == ""
    line = one_line_error(err, "evaluate")
    assert "tags.csv and the model have no label in common" in line
    assert "the model predicts toxic, severe_toxic, obscene" in line
    assert "tags.csv holds the label(s) anger, joy, love" in line


def test_evaluate_keeps_the_common_labels_with_a_warning(capsys, work):
    _tags_file(work / "tags.csv", [["you idiot", "toxic,insult"], ["lovely day", "joy"],
                                   ["stupid", "toxic"], ["thanks", ""]])
    code, out, err = run(capsys, "evaluate", "model.mlkit", "tags.csv", "--labels-col",
                         "labels", "--json", "m.json", "-q")
    assert code == 0, err
    assert "(4 rows, 2 labels;" in out
    assert ("evaluating only the 2 label(s) both have (toxic, insult); left out: in tags.csv "
            "only: joy (1 rows); the model's only: severe_toxic, obscene, threat, "
            "identity_hate") in err
    per_label = json.loads((work / "m.json").read_text())["per_label"]
    assert [k for k in per_label if not k.endswith(" avg")] == ["toxic", "insult"]


def test_evaluate_with_the_same_label_set_keeps_every_label(capsys, work):
    # a model label absent from a small sample is not a different label set: no warning
    _tags_file(work / "tags.csv", [["you idiot", "toxic,insult"], ["thanks", ""]])
    code, out, err = run(capsys, "evaluate", "model.mlkit", "tags.csv", "--labels-col",
                         "labels", "-q")
    assert code == 0, err
    assert "(2 rows, 6 labels;" in out and "differ" not in err


def test_a_reader_that_stops_early_is_not_an_error(work):
    # `mlkit evaluate ... | head -1`: the closed pipe ends the command quietly (was exit 2)
    command = (f"{sys.executable} -m mlkit evaluate model.mlkit data.csv -q | head -1; "
               "exit ${PIPESTATUS[0]}")
    proc = subprocess.run(["bash", "-c", command], capture_output=True, cwd=work, timeout=120,
                          env=dict(os.environ, PYTHONWARNINGS=""))
    assert proc.stdout.decode().startswith("Evaluation of model.mlkit")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""
