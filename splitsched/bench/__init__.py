"""Benchmark harness: sweeps of (instance, solver, seed) runs, certification, reports.

``sweep`` runs every combination in isolated worker processes and appends one
record per finished run to ``RUN_DIR/runs.jsonl``; ``certify`` turns records
into per-instance best-known values, proven bounds and consistency flags;
``tables``, ``plots`` and ``html`` build the report. The CLI commands
``bench`` and ``report`` live in ``splitsched.cli.bench``.
"""
