"""Benchmarks (not tests: they are never collected by pytest and never run in `make test`).

`make bench` runs them all; see ``benchmarks.index_bench`` and ``benchmarks.fetch_bench``.
Importing this package pins every numeric library to one thread before numpy or FAISS is
imported, so that all numbers are single-threaded and comparable."""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"
