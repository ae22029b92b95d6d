"""Settings for benchmarks/pages_bench.py: the product's settings with a URLconf that adds a trivial view."""

from interschool.config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"
