"""Benchmarks: `make bench` runs them all and prints figures (targets live here, not in tests)."""
