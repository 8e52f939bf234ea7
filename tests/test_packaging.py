"""Packaging facts a library people depend on must keep: one version, typed, console script."""

import importlib.metadata
import pathlib

import tomllib

import mlkit

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_version_is_written_once():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    # the installed distribution reads it from mlkit.__version__
    assert importlib.metadata.version("mlkit") == mlkit.__version__


def test_package_is_marked_typed():
    assert (pathlib.Path(mlkit.__file__).parent / "py.typed").is_file()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in data["tool"]["setuptools"]["package-data"]["mlkit"]
