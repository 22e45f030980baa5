"""Benchmarks for autograd-core (scripts, not tests): ``python -m benchmarks.engine``."""
