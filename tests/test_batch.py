"""Batch prediction at scale (mlkit.batch, ``mlkit predict GLOB -o DIR --engine ...``) on a
real GoEmotions model and real GoEmotions texts written as Parquet / CSV / JSON Lines parts:
each engine (this process, a Dask LocalCluster of 2 worker processes, a local Ray instance
of 2 CPUs) gives byte for byte the files of plain ``mlkit predict`` on each part; a re-run
skips finished parts and says so; a part whose writer died mid-write is redone; bad inputs
(empty parts, a missing text column, mixed schemas and formats, globs matching nothing, an
output that is a file) get one clear message."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

from mlkit import batch  # noqa: E402
from mlkit.cli import main  # noqa: E402
from mlkit.io import DataError  # noqa: E402

pytestmark = pytest.mark.usefixtures("single_blas_thread")

N_PARTS, PART_ROWS = 3, 60


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, goemotions_slice):
    import mlkit
    from mlkit.persistence import save_model

    s = goemotions_slice
    Y = pd.DataFrame(s.Y_train, columns=list(s.label_names))
    model = mlkit.make_classifier("tfidf").fit(s.X_train, Y)
    path = tmp_path_factory.mktemp("model") / "go.mlkit"
    save_model(model, path)
    return path


@pytest.fixture(scope="module")
def parts(tmp_path_factory, goemotions_slice):
    """Three Parquet parts of real test texts (an id column, a text column)."""
    folder = tmp_path_factory.mktemp("parts")
    texts = goemotions_slice.X_test
    for i in range(N_PARTS):
        rows = range(i * PART_ROWS, (i + 1) * PART_ROWS)
        pd.DataFrame({"id": [f"c{r}" for r in rows], "text": [texts[r] for r in rows]}
                     ).to_parquet(folder / f"part-{i}.parquet")
    return folder


@pytest.fixture(scope="module")
def reference(tmp_path_factory, model_file, parts):
    """Plain ``mlkit predict`` of each part, one file at a time."""
    folder = tmp_path_factory.mktemp("reference")
    for i in range(N_PARTS):
        out = folder / f"part-{i}.csv"
        assert main(["predict", str(model_file), str(parts / f"part-{i}.parquet"),
                     "-o", str(out), "-q"]) == 0
    return folder


def assert_same_files(out_dir, ref_dir):
    names = sorted(os.listdir(ref_dir))
    assert sorted(os.listdir(out_dir)) == names
    for name in names:
        assert (out_dir / name).read_bytes() == (ref_dir / name).read_bytes(), name


# --------------------------------------------------------------------------- local

def test_local_glob_gives_the_files_of_plain_predict(tmp_path, capsys, model_file, parts,
                                                     reference):
    out = tmp_path / "out"
    code, _, err = run(capsys, "predict", model_file, parts / "*.parquet", "-o", out)
    assert code == 0, err
    assert f"predicted {N_PARTS * PART_ROWS} rows of {N_PARTS} files" in err
    assert_same_files(out, reference)
    # the same through the Python API, which reports each part
    results = batch.predict(model_file, str(parts / "*.parquet"), output_dir=tmp_path / "py",
                            redo=True)
    assert [r.status for r in results] == ["done"] * N_PARTS
    assert [r.n_rows for r in results] == [PART_ROWS] * N_PARTS
    assert_same_files(tmp_path / "py", reference)


def test_rerun_skips_finished_parts_and_redoes_changed_ones(tmp_path, capsys, model_file,
                                                            parts):
    out = tmp_path / "out"
    glob = parts / "*.parquet"
    assert run(capsys, "predict", model_file, glob, "-o", out, "--format", "jsonl")[0] == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    code, _, err = run(capsys, "predict", model_file, glob, "-o", out, "--format", "jsonl")
    assert code == 0 and f"{N_PARTS} skipped: their output is up to date" in err
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    # an input newer than its output is predicted again, the others are not
    stale = out / "part-1.jsonl"
    os.utime(stale, ns=(os.stat(parts / "part-1.parquet").st_mtime_ns - 10**9,) * 2)
    results = batch.predict(model_file, str(parts), output_dir=out, format="jsonl")  # a folder
    assert [r.status for r in results] == ["skipped", "done", "skipped"]
    results = batch.predict(model_file, str(parts), output_dir=out, format="jsonl", redo=True)
    assert [r.status for r in results] == ["done"] * N_PARTS


def test_a_part_interrupted_mid_write_never_looks_finished_and_is_redone(
        tmp_path, capsys, model_file, parts, reference):
    out = tmp_path / "out"
    out.mkdir()
    target = out / "part-0.csv"
    # a writer of part-0's output that dies mid-write (as kill -9 would leave it)
    child = textwrap.dedent(f"""
        import os
        from mlkit._atomic import atomic_write
        with atomic_write({str(target)!r}, "w") as f:
            f.write("id,labels\\nc0,jo")
            f.flush()
            os._exit(1)
    """)
    assert subprocess.run([sys.executable, "-c", child], timeout=60).returncode == 1
    leftovers = [p.name for p in out.iterdir()]
    assert len(leftovers) == 1 and leftovers[0].endswith(".mlkit-tmp")
    assert not target.exists()  # the partial part does not look finished
    code, _, err = run(capsys, "predict", model_file, parts / "*.parquet", "-o", out)
    assert code == 0 and "skipped" not in err
    assert_same_files(out, reference)  # the dead writer's temporary file is swept too


# --------------------------------------------------------------------------- dask

@pytest.fixture(scope="module")
def dask_cluster():
    """The local cluster that ``mlkit predict --engine dask`` starts by itself."""
    distributed = pytest.importorskip("distributed")

    with batch._local_dask_cluster(2) as cluster:
        with distributed.Client(cluster) as client:
            client.wait_for_workers(2, timeout=120)
            yield cluster, client


def _dask_settings():
    import dask

    return {key: dask.config.get(key) for key in batch.BATCH_DASK_CONFIG}


def test_local_dask_cluster_runs_with_the_batch_settings(dask_cluster):
    """The scheduler and the worker processes run with the quieter bookkeeping
    settings, and this process's configuration and environment are left as they were."""
    import cloudpickle
    import dask

    _, client = dask_cluster
    # the worker processes cannot import this test module: send its functions by value
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        settings = client.run(_dask_settings)
        scheduler_settings = client.run_on_scheduler(_dask_settings)
        ticks = client.run(_tick_interval), client.run_on_scheduler(_tick_interval)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert len(settings) == 2
    for got in settings.values():
        assert got == batch.BATCH_DASK_CONFIG
    assert scheduler_settings == batch.BATCH_DASK_CONFIG
    assert ticks == (dict.fromkeys(settings, 1.0), 1.0)
    if os.name == "posix":  # scheduler and workers: processes of their own, no nannies
        pids = set(client.run(os.getpid).values())
        pids.add(client.run_on_scheduler(os.getpid))
        assert len(pids) == 3 and os.getpid() not in pids
        assert not any(w.get("nanny") for w in client.scheduler_info()["workers"].values())
    assert dask.config.get("distributed.admin.tick.interval") != "1s"  # default untouched
    assert "DASK_INTERNAL_INHERIT_CONFIG" not in os.environ


def _tick_interval(dask_scheduler=None, dask_worker=None):
    return (dask_scheduler or dask_worker)._tick_interval


def test_dask_engine_gives_the_files_of_plain_predict(tmp_path, capsys, dask_cluster,
                                                      model_file, parts, reference):
    cluster, _ = dask_cluster
    out = tmp_path / "out"
    code, _, err = run(capsys, "predict", model_file, parts / "*.parquet", "-o", out,
                       "--engine", "dask", "--address", cluster.scheduler_address)
    assert code == 0, err
    assert "with engine dask" in err
    assert_same_files(out, reference)


def test_dask_engine_starts_and_stops_its_own_cluster(tmp_path, capsys, model_file, parts,
                                                     reference):
    """Without --address, --engine dask starts the local cluster for the run (it waits for
    its workers) and stops it: no process of it is left behind."""
    pytest.importorskip("distributed")
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "out"
    import tempfile

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    temp_before = set(os.listdir(tempfile.gettempdir()))
    code, _, err = run(capsys, "predict", model_file, parts / "*.parquet", "-o", out,
                       "--engine", "dask", "--workers", "1")
    # nothing of the cluster is left in the temporary folder (its scheduler file)
    assert not [name for name in set(os.listdir(tempfile.gettempdir())) - temp_before
                if name.startswith("mlkit-dask-scheduler-")]
    assert code == 0, err
    assert "with engine dask" in err
    assert_same_files(out, reference)
    left = [p for p in psutil.Process().children(recursive=True)
            if p.pid not in before and p.is_running()
            and p.status() != psutil.STATUS_ZOMBIE]
    assert left == []


def test_dask_dataframe_loads_the_model_once_per_worker(dask_cluster, model_file, parts):
    dd = pytest.importorskip("dask.dataframe")
    _, client = dask_cluster
    frame = pd.concat([pd.read_parquet(parts / f"part-{i}.parquet") for i in range(N_PARTS)],
                      ignore_index=True)
    ddf = dd.from_pandas(frame, npartitions=6)
    lazy = batch.predict(model_file, ddf, id_col="id", batch_size=25)
    got = lazy.compute()
    predictor, _ = batch.load_predictor(model_file)
    expected = batch.predict_frame(predictor, frame, id_col="id")
    pd.testing.assert_frame_equal(got.sort_index(), expected)
    assert list(got.columns[:2]) == ["id", "labels"]
    assert list(lazy.columns) == list(got.columns)  # the lazy frame's meta is right

    # each worker holds one model, the same object after a second computation: six
    # partitions (twice) made one load per worker, not one per partition
    def cached():
        return [id(p) for p, _ in batch._MODELS.values()]

    first = client.run(cached)
    batch.predict(model_file, ddf, id_col="id").compute()
    assert client.run(cached) == first
    assert all(len(ids) == 1 for ids in first.values())


# --------------------------------------------------------------------------- ray

@pytest.fixture(scope="module")
def ray_instance():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    yield ray
    ray.shutdown()


def test_ray_engine_and_dataset(tmp_path, capsys, ray_instance, model_file, parts, reference):
    out = tmp_path / "out"
    code, _, err = run(capsys, "predict", model_file, parts / "*.parquet", "-o", out,
                       "--engine", "ray")
    assert code == 0, err
    assert_same_files(out, reference)
    frame = pd.read_parquet(parts / "part-0.parquet")
    ds = ray_instance.data.from_pandas(frame)
    got = batch.predict(model_file, ds, keep_cols=["id"], scores="predicted",
                        batch_size=16).to_pandas()
    predictor, _ = batch.load_predictor(model_file)
    expected = batch.predict_frame(predictor, frame, keep_cols=["id"], scores="predicted")
    got = got.set_index(got["id"].map({v: i for i, v in enumerate(frame["id"])})).sort_index()
    assert got["id"].tolist() == expected["id"].tolist()
    assert [list(v) for v in got["labels"]] == expected["labels"].tolist()
    np.testing.assert_allclose(np.concatenate([list(v) for v in got["scores"]]),
                               np.concatenate(expected["scores"].tolist()))


# --------------------------------------------------------------------------- outputs

def test_sparse_decisions_and_output(tmp_path, capsys, model_file, parts, goemotions_slice):
    predictor, _ = batch.load_predictor(model_file)
    texts = goemotions_slice.X_test[:50]
    D, S = predictor.predict(texts, top_k=3)
    Ds, Ss = predictor.predict(texts, top_k=3, sparse=True)
    assert Ds.format == "csr" and Ds.nnz == 150
    np.testing.assert_array_equal(Ds.toarray(), D)
    np.testing.assert_array_equal(Ss, S)
    out = tmp_path / "sparse.csv"
    code, _, err = run(capsys, "predict", model_file, parts / "part-0.parquet", "-o", out,
                       "--top-k", "3", "--sparse")
    assert code == 0, err
    got = pd.read_csv(out)
    assert list(got.columns) == ["id", "labels", "scores"]  # no column per label
    labels = [row.split(",") for row in got["labels"]]
    scores = [[float(v) for v in row.split(",")] for row in got["scores"]]
    assert all(len(r) == 3 for r in labels)
    full, _ = predictor.predict(pd.read_parquet(parts / "part-0.parquet")["text"].tolist(),
                                top_k=3)
    for r in range(len(got)):
        assert sorted(labels[r]) == sorted(np.asarray(predictor.label_names)[full[r] == 1])
        assert scores[r] == sorted(scores[r], reverse=True)


def test_parquet_output_matches_csv(tmp_path, model_file, parts, reference):
    batch.predict(model_file, str(parts / "*.parquet"), output_dir=tmp_path, format="parquet")
    got = pd.read_parquet(tmp_path / "part-2.parquet")
    ref = pd.read_csv(reference / "part-2.csv", keep_default_na=False)
    assert got["id"].tolist() == ref["id"].tolist()
    assert [",".join(v) for v in got["labels"]] == ref["labels"].tolist()
    np.testing.assert_allclose(got.filter(like="score_").to_numpy(),
                               ref.filter(like="score_").to_numpy(), atol=5e-7)


# --------------------------------------------------------------------------- bad inputs

def test_bad_parts_fail_alone_with_their_reason(tmp_path, capsys, model_file,
                                                goemotions_slice):
    data = tmp_path / "data"
    data.mkdir()
    texts = goemotions_slice.X_test[:20]
    pd.DataFrame({"text": texts}).to_csv(data / "a.csv", index=False)
    (data / "b.csv").write_text("")  # empty
    pd.DataFrame({"comment": texts}).to_csv(data / "c.csv", index=False)  # another schema
    out = tmp_path / "out"
    code, _, err = run(capsys, "predict", model_file, data / "*.csv", "-o", out,
                       "--text-col", "text")
    assert code == 2
    assert "b.csv" in err and "is empty" in err
    assert "c.csv" in err and "--text-col" in err and "comment" in err
    assert "2 part(s) failed" in err and "finished parts are skipped" in err
    assert sorted(os.listdir(out)) == ["a.csv"]  # the good part is written, nothing else
    # fixed and run again: only the failed parts are predicted
    pd.DataFrame({"text": texts}).to_csv(data / "b.csv", index=False)
    pd.DataFrame({"text": texts}).to_csv(data / "c.csv", index=False)
    results = batch.predict(model_file, str(data / "*.csv"), output_dir=out)
    assert [r.status for r in results] == ["skipped", "done", "done"]


@pytest.mark.parametrize("case, message", [
    ("nothing", "matches no file"),
    ("mixed", "several formats"),
    ("collide", "same base name"),
    ("output_file", "is a file"),
    ("stdin", "reads files, not stdin"),
    ("no_output", "-o is missing"),
])
def test_bad_globs_and_outputs_are_refused(tmp_path, capsys, model_file, case, message):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    pd.DataFrame({"text": ["a good day", "so sad"]}).to_csv(data / "x.csv", index=False)
    glob, out, extra = data / "*.csv", tmp_path / "out", []
    if case == "nothing":
        glob = data / "*.parquet"
    elif case == "mixed":
        (data / "y.jsonl").write_text('{"text": "hi"}\n')
        glob = data / "*"
    elif case == "collide":
        pd.DataFrame({"text": ["hi"]}).to_csv(data / "sub" / "x.csv", index=False)
        glob = data / "**" / "*.csv"
    elif case == "output_file":
        out.write_text("not a directory")
    elif case == "stdin":
        glob, extra = "-", ["--engine", "dask"]
    argv = ["predict", model_file, glob, *extra]
    if case != "no_output":
        argv += ["-o", out]
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err, err
    assert err.count("\n") == 1


def test_missing_engine_names_the_extra(tmp_path, capsys, monkeypatch, model_file, parts):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    code, _, err = run(capsys, "predict", model_file, parts, "-o", tmp_path, "--engine", "dask")
    assert code == 1 and 'pip install "mlkit[dask]"' in err
    with pytest.raises(TypeError, match="glob or path of data files, a Dask DataFrame"):
        batch.predict(model_file, [["a text"]])
    with pytest.raises(DataError, match="output_dir="):
        batch.predict(model_file, str(parts), output_dir=parts / "part-0.parquet")
