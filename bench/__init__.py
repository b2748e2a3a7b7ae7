"""The benchmark harness: the production stack on loopback, synthetic cohorts, and each performance
target of QUALITY.md measured as a ratio against a baseline taken in the same run.

`make bench` (or `python -m bench`) runs everything and rewrites the results section of
docs/BENCHMARKS.md; `make bench-quick` (BENCH_QUICK=1) runs the same phases on the 1,000-infant
cohort with short rounds. Nothing here is imported by the tracker, and nothing here runs in the
default test suite.
"""
