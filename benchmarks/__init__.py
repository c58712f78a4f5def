"""Benchmarks of pastas_projects against pastastore; run them from the repository root.

>>> # python -m benchmarks.bench_store --quick
>>> # python -m benchmarks.bench_calibrate --quick

See ``benchmarks/README.md`` for what they measure and ``benchmarks/RESULTS.md`` for
the latest figures.
"""
