"""Deterministic synthetic data (fictional school regions) for demos, tests and benchmarks; no Django."""
