"""Benchmarks: this agent side by side with the peers an operator would otherwise use, in one run."""
