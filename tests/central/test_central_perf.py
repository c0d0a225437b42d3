"""The report write path's CPU savings stay in place (benchmarks/bench_central.py measures
them; these tests fail when one silently stops applying)."""

from __future__ import annotations

from psycopg import _queries
from psycopg.adapt import Transformer

from central_inventory import ingest
from central_inventory.db import make_engine

# make_engine does not connect: no server needed to build the PostgreSQL dialect.
PG_URL = "postgresql+psycopg://nobody:nothing@127.0.0.1:9/none"


def _second_conversion_cached(sql: str, names: list[str]) -> bool:
    """Whether psycopg answers a second conversion of ``sql`` from its cache."""
    _queries.PostgresQuery(Transformer()).convert(sql, dict.fromkeys(names))
    before = _queries._query2pg.cache_info().hits
    _queries.PostgresQuery(Transformer()).convert(sql, dict.fromkeys(names))
    return bool(_queries._query2pg.cache_info().hits == before + 1)


def test_report_statements_keep_their_placeholder_conversion_cached() -> None:
    engine = make_engine(PG_URL)
    try:
        for statement in (ingest._PG_STORE_REPORT, ingest._LOCK_CERTIFICATES):
            compiled = statement.compile(dialect=engine.dialect)
            sql = ingest._driver_sql(statement, engine.dialect)
            assert sql == str(compiled) and "%(" in sql
            assert _second_conversion_cached(sql, list(compiled.params)), len(sql)
        # The write statement is what needed the larger limit (about 14 KiB).
        assert len(ingest._driver_sql(ingest._PG_STORE_REPORT, engine.dialect)) > 4096
    finally:
        engine.dispose()


def test_a_long_statement_beyond_the_limit_is_still_run_uncached() -> None:
    make_engine(PG_URL).dispose()
    sql = "SELECT %(a)s" + " " * _queries.MAX_CACHED_STATEMENT_LENGTH
    assert not _second_conversion_cached(sql, ["a"])
