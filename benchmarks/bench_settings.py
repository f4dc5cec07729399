"""Settings of the server that benchmarks/booking_flow.py measures: the production settings
(read from the environment as usual) plus two benchmark-only additions, never shipped in the
product's URLs: a minimal view to compare with, and an X-SQL-Queries response header."""

from guichet.settings import *
from guichet.settings import MIDDLEWARE

ROOT_URLCONF = "benchmarks.bench_urls"
# First, so that it counts the queries of every other middleware too.
MIDDLEWARE = ["benchmarks.bench_urls.sql_count_middleware", *MIDDLEWARE]
