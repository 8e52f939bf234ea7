"""``python -m mlkit``: the same command line as the ``mlkit`` console script."""

import sys

from mlkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
