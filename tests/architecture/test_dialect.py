"""Dialect ratchet (architecture §3): only services/common/dialect.py, db.py and driver_pool.py (PostgreSQL's bare
connections) know SQLite from PostgreSQL. Any other module that asks (dialect.name, is_sqlite, get_backend_name) or
imports a dialect's statements or a driver is listed in allowances.py, and its count may only go down."""

from __future__ import annotations

import ast

from tests.architecture import allowances
from tests.architecture.measure import dialect_questions, modules, per_module, ratchet

DIALECT_HOMES = {"services/common/dialect.py", "services/common/db.py", "services/common/driver_pool.py"}


def test_only_the_dialect_and_db_modules_ask_which_database_it_is():
    counts = {path: n for path, n in per_module(modules(), dialect_questions).items() if path not in DIALECT_HOMES}
    problems = ratchet(counts, allowances.DIALECT_QUESTIONS, limit=0, unit="questions about the database")
    assert not problems, "\n".join(problems)


def test_each_way_of_asking_which_database_it_is_is_counted():
    source = (
        "import asyncpg\n"
        "from sqlalchemy.dialects.sqlite import insert\n"
        "from services.common.db import is_sqlite\n"
        "def f(conn, url, dialect):\n"
        "    a = conn.dialect.name == 'postgresql'\n"
        "    b = dialect.name\n"
        "    c = url.get_backend_name()\n"
        "    d = db.is_sqlite(url) or is_sqlite(url)\n"
        "    return conn.name, table.name\n"
    )
    # The two imports and the five questions; `conn.name` and `table.name` are other names.
    assert dialect_questions(ast.parse(source)) == 7
