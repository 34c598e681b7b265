"""The storage tests reach PostgreSQL as OS1 should be deployed: an ordinary role that owns
its database, so row-level security binds it (a superuser passes every policy, and the
session's cluster is reached as one)."""

from __future__ import annotations

import psycopg
import pytest

APP_ROLE = "os1_app"


@pytest.fixture(scope="session")
def postgres_url(postgres_url: str) -> str:
    """The session's server, as an owner role without SUPERUSER or BYPASSRLS (CREATEDB, so
    tests can make databases of their own)."""
    server = postgres_url.rsplit("/", 1)[0]
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS")
        # pgvector is not a trusted extension: an administrator creates it, here in the
        # template, so every database the role makes has it as a deployment would.
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
        ).fetchone()
    if available:
        with psycopg.connect(server + "/template1", autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {APP_ROLE} OWNER {APP_ROLE}")
    return server.replace("://postgres@", f"://{APP_ROLE}@", 1) + f"/{APP_ROLE}"
