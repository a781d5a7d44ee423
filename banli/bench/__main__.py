"""`python -m banli.bench`: the benchmark runner (banli/bench/run.py, docs/benchmark.md)."""

import sys

from banli.bench.run import main

if __name__ == "__main__":
    sys.exit(main())
