"""Helpers of bench/run.py: processes, peers, wrk, in-process timing, the report."""
