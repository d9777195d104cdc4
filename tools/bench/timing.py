"""The timing loop the benchmarks share."""

import statistics
import time


def median_seconds(function, min_time):
    """Median seconds of `function` over at least 5 calls and `min_time` seconds, after 2 to warm
    up."""
    for _ in range(2):
        function()
    times, started = [], time.perf_counter()
    while len(times) < 5 or time.perf_counter() - started < min_time:
        before = time.perf_counter()
        function()
        times.append(time.perf_counter() - before)
    return statistics.median(times)
