"""mlkit's parallel loops on the joblib backend in effect, a Dask or Ray cluster included.

mlkit never writes cluster code of its own: its loops (labels, chains, threshold
folds) are :class:`sklearn.utils.parallel.Parallel` calls, and
:func:`joblib.parallel_config` chooses where they run. This module holds the few
decisions that differ on a cluster:

* **What travels.** :func:`share` puts a large argument (the feature matrix, the
  label matrix) on the cluster once per call (Dask: ``Client.scatter`` to every
  worker; Ray: ``ray.put`` into the object store) and returns a handle that the
  engine resolves on the worker; tasks then carry the handle, not the data.
* **Where nested loops run.** A task already running on a Dask worker (a
  threshold fold, a grid-search candidate) runs its own inner loops on that
  worker's threads (:func:`parallel`), so that a fold's training rows are not
  sent again to other workers. (Ray's joblib backend already runs nested
  loops inside the worker.)

Dask and Ray are optional: they are imported only when their backend is in
effect, through :func:`mlkit._optional.import_optional`.
"""

from __future__ import annotations

import sys

from joblib import effective_n_jobs
from joblib.parallel import get_active_backend
from sklearn.utils.parallel import Parallel

from ._optional import import_optional

__all__ = ["backend_name", "cluster_engine", "fetch", "label_chunks", "parallel", "share",
           "supports_generator"]

_NAMES = {"DaskDistributedBackend": "dask", "RayBackend": "ray"}


def backend_name():
    """Name of the joblib backend in effect: ``"dask"``, ``"ray"``, ``"loky"``, ...

    Returns
    -------
    name : str
        ``"dask"`` and ``"ray"`` for the cluster backends, joblib's own names
        (``"loky"``, ``"threading"``, ``"sequential"``, ...) otherwise.
    """
    backend, _ = get_active_backend()
    cls = type(backend).__name__
    if cls in _NAMES:
        return _NAMES[cls]
    return cls.removesuffix("Backend").lower()


def _dask_worker():
    """The Dask worker running the current task, or None (not imported, not in a task)."""
    if "distributed" not in sys.modules:
        return None
    try:
        return sys.modules["distributed"].get_worker()
    except (ValueError, AttributeError):
        return None


def cluster_engine():
    """``"dask"`` or ``"ray"`` when a loop started here would run on a cluster, else None.

    None inside a task that already runs on a Dask worker: its loops stay on
    that worker (see :func:`parallel`).

    Returns
    -------
    engine : {"dask", "ray"} or None
    """
    name = backend_name()
    if name not in ("dask", "ray") or _dask_worker() is not None:
        return None
    return name


def parallel(n_jobs, *, prefer="threads", **kwargs):
    """A :class:`~sklearn.utils.parallel.Parallel` for one of mlkit's loops.

    Outside a cluster task this is ``Parallel(n_jobs=n_jobs, prefer=prefer)``:
    threads by default (the solvers release the GIL, nothing is copied), and the
    backend of the enclosing :func:`joblib.parallel_config` when one is set
    (``prefer`` is only a hint, which an explicit backend overrides). Inside a
    task running on a Dask worker, the loop runs on the worker's own threads.

    Parameters
    ----------
    n_jobs : int or None
        The estimator's ``n_jobs``; None follows :func:`joblib.parallel_config`
        (1 when it sets nothing; the Dask backend's default is every worker
        thread of the cluster, the Ray backend's is 1: set ``n_jobs=-1``).
    prefer : {"threads", "processes"} or None, default="threads"
        joblib's hint for the local default backend.
    **kwargs : dict
        Passed to ``Parallel`` (e.g. ``return_as``).

    Returns
    -------
    parallel : sklearn.utils.parallel.Parallel
    """
    worker = _dask_worker()
    if worker is not None:
        return Parallel(n_jobs=max(1, int(worker.state.nthreads)), backend="threading",
                        **kwargs)
    return Parallel(n_jobs=n_jobs, prefer=prefer, **kwargs)


def supports_generator():
    """Whether the backend in effect can return results as they finish (Ray's cannot).

    Returns
    -------
    supported : bool
    """
    backend, _ = get_active_backend()
    return bool(getattr(backend, "supports_return_generator", False))


def share(obj, engine):
    """Put ``obj`` on the cluster once and return the handle tasks should carry.

    Parameters
    ----------
    obj : object
        A large argument used by every task (features, labels, texts).
    engine : {"dask", "ray"} or None
        From :func:`cluster_engine`; None returns ``obj`` itself.

    Returns
    -------
    handle : object
        A Dask future (scattered to every worker; Dask replaces it with
        ``obj`` when it is an argument of a task) or a Ray object reference
        (the task calls :func:`fetch`).
    """
    if engine == "dask":
        backend, _ = get_active_backend()
        # a one-element list: scatter would otherwise send a list element by element
        return backend.client.scatter([obj], broadcast=True, hash=False)[0]
    if engine == "ray":
        ray = import_optional("ray", purpose="Training on a Ray cluster")
        return ray.put(obj)
    return obj


def fetch(handle):
    """In a task: the object behind a handle from :func:`share`.

    Ray's joblib backend pickles a task's arguments as they are, so a Ray object
    reference is read here from the node's object store (shared memory: each
    node receives the object once). Dask replaces its futures by their data
    before a task runs; one that is still a future (a loop joblib ran in the
    calling process) is gathered. Anything else is returned unchanged.

    Parameters
    ----------
    handle : object

    Returns
    -------
    obj : object
    """
    ray = sys.modules.get("ray")
    if ray is not None and isinstance(handle, getattr(ray, "ObjectRef", ())):
        return ray.get(handle)
    distributed = sys.modules.get("distributed")
    if distributed is not None and isinstance(handle, distributed.Future):
        return handle.result()  # a loop that joblib ran in this process after all
    return handle


def label_chunks(n_labels, n_jobs, *, per_worker=4):
    """Split ``range(n_labels)`` into a few contiguous chunks, about ``per_worker`` per worker.

    One cluster task per chunk: each task receives the features once, however
    many labels it fits, and the number of tasks grows with the cluster, not
    with the number of labels.

    Parameters
    ----------
    n_labels : int
    n_jobs : int or None
        The estimator's ``n_jobs``, resolved against the backend in effect.
    per_worker : int, default=4
        Chunks per worker, for load balance.

    Returns
    -------
    chunks : list of range
    """
    workers = max(1, effective_n_jobs(n_jobs))
    n_chunks = max(1, min(n_labels, per_worker * workers))
    bounds = [round(k * n_labels / n_chunks) for k in range(n_chunks + 1)]
    return [range(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
