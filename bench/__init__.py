"""Benchmarks, each reporting ratios against named baselines run in the same process."""
