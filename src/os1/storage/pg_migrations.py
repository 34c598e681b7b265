"""PostgreSQL's numbered, append-only core migrations. Never edit one that has shipped: add the
next. Tables and columns carry SQLite's names (`migrations.py`), so portable SQL and
`os1 migrate` see one schema; the steps are not numbered alike, as the two histories differ.

Timestamps stay ISO-8601 text written by Python, compared bytewise (`COLLATE "C"`) so that
ordering by them is the same as SQLite's whatever the database's locale.
"""

MIGRATIONS: list[str] = [
    # 1: conversations, messages, the profile and tool calls, each row owned by a user;
    # component versions for skills, memory and the server.
    """
    CREATE TABLE conversations (
        id BIGSERIAL PRIMARY KEY,
        user_id TEXT NOT NULL,
        title TEXT,
        created_at TEXT COLLATE "C" NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX conversations_by_user ON conversations(user_id, updated_at);
    CREATE TABLE messages (
        id BIGSERIAL PRIMARY KEY,
        conversation_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
        content TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'complete'
            CHECK (status IN ('complete', 'cancelled', 'error', 'interrupted')),
        created_at TEXT COLLATE "C" NOT NULL,
        meta TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    CREATE TABLE profile (
        user_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (user_id, key)
    );
    CREATE TABLE tool_calls (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        conversation_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        arguments TEXT NOT NULL,
        side_effect INTEGER NOT NULL,
        origin TEXT NOT NULL,
        summary TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('pending', 'running', 'done', 'failed', 'declined', 'expired')),
        output TEXT,
        created_at TEXT COLLATE "C" NOT NULL,
        decided_at TEXT COLLATE "C"
    );
    CREATE INDEX tool_calls_by_user ON tool_calls(user_id, status, created_at);
    CREATE TABLE schema_components (
        name TEXT PRIMARY KEY,
        version INTEGER NOT NULL
    );
    """,
    # 2: long-term memory, as SQLite keeps it (episodes and what is derived from them, with
    # their sources and embeddings); the lexical index is a generated tsvector column with a
    # GIN index instead of an FTS5 table. Vector indexes (pgvector HNSW) are made per
    # embedding size by the memory store, as SQLite's vec0 tables are.
    """
    CREATE TABLE memories (
        id BIGSERIAL PRIMARY KEY,
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL
            CHECK (kind IN ('episode', 'fact', 'event', 'preference', 'reflection')),
        text TEXT NOT NULL,
        speaker TEXT,
        subject TEXT,
        attribute TEXT,
        value TEXT,
        said_at TEXT COLLATE "C",
        happened_at TEXT COLLATE "C",
        happened_until TEXT COLLATE "C",
        session TEXT,
        importance DOUBLE PRECISION NOT NULL DEFAULT 0.3,
        superseded_by BIGINT REFERENCES memories(id) ON DELETE SET NULL,
        consolidated INTEGER NOT NULL DEFAULT 0,
        created_at TEXT COLLATE "C" NOT NULL,
        untrusted INTEGER NOT NULL DEFAULT 0,
        text_search TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', text)) STORED
    );
    CREATE INDEX memories_by_user ON memories(user_id, kind, said_at);
    CREATE INDEX memories_pending ON memories(user_id, consolidated) WHERE consolidated = 0;
    CREATE INDEX memories_by_slot ON memories(user_id, subject, attribute)
        WHERE subject IS NOT NULL;
    CREATE INDEX memories_by_session ON memories(user_id, session, id) WHERE kind = 'episode';
    CREATE INDEX memories_text_search ON memories USING GIN (text_search);
    CREATE TABLE memory_sources (
        memory_id BIGINT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
        source TEXT NOT NULL,
        PRIMARY KEY (memory_id, source)
    );
    CREATE INDEX memory_sources_by_source ON memory_sources(source);
    CREATE TABLE memory_embeddings (
        memory_id BIGINT PRIMARY KEY REFERENCES memories(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        vector BYTEA NOT NULL,
        search_vector BYTEA NOT NULL
    );
    """,
    # 3: pgvector, where the server has it. Creating an extension may need rights the OS1
    # role lacks (an admin then runs `CREATE EXTENSION vector` once); the store works without.
    """
    DO $$
    BEGIN
        IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
            CREATE EXTENSION IF NOT EXISTS vector;
        END IF;
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'pgvector is installed but this role may not create it';
    END
    $$;
    """,
    # 4: row-level security on the two memory tables without a user_id column: a row is
    # visible where its memory is (the subquery is itself bound by `memories`' policy). The
    # tables with a user_id column are covered by SECURE_USER_TABLES, run after every step.
    """
    ALTER TABLE memory_sources ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
    CREATE POLICY os1_user_rows ON memory_sources
        USING (EXISTS (SELECT 1 FROM memories m WHERE m.id = memory_id))
        WITH CHECK (EXISTS (SELECT 1 FROM memories m WHERE m.id = memory_id));
    ALTER TABLE memory_embeddings ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
    CREATE POLICY os1_user_rows ON memory_embeddings
        USING (EXISTS (SELECT 1 FROM memories m WHERE m.id = memory_id))
        WITH CHECK (EXISTS (SELECT 1 FROM memories m WHERE m.id = memory_id));
    """,
    # 5: memory search latency (pg_memory.py). The GIN index takes each memory's words as it
    # is written: with fastupdate a search also scans the pending list of every recent write
    # (4 MB, until autovacuum merges it), which made the planner shun the index. Superseded
    # memories get an index: recall drops them from vector hits (an anti-join on it), and each
    # forgotten memory's `ON DELETE SET NULL` looked for memories it superseded by scanning
    # the whole table. `memory_versions` changes whenever a user's memories or their words do
    # (once per transaction, from a sequence, so a number never comes back after a purge):
    # caches of word counts stay valid across worker processes while it holds still. A
    # deletion only bumps an existing row, so that purging a user leaves none behind.
    """
    ALTER INDEX memories_text_search SET (fastupdate = off);
    SELECT gin_clean_pending_list('memories_text_search'::regclass);
    CREATE INDEX memories_superseded ON memories(superseded_by, id)
        WHERE superseded_by IS NOT NULL;
    CREATE SEQUENCE memory_version_seq;
    CREATE TABLE memory_versions (
        user_id TEXT PRIMARY KEY,
        version BIGINT NOT NULL,
        xact BIGINT NOT NULL
    );
    CREATE FUNCTION memory_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        who TEXT := CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END;
    BEGIN
        UPDATE memory_versions SET version = nextval('memory_version_seq'), xact = txid_current()
            WHERE user_id = who AND xact <> txid_current();
        IF NOT FOUND AND TG_OP <> 'DELETE'
                AND NOT EXISTS (SELECT 1 FROM memory_versions WHERE user_id = who) THEN
            INSERT INTO memory_versions (user_id, version, xact)
                VALUES (who, nextval('memory_version_seq'), txid_current())
                ON CONFLICT (user_id) DO UPDATE
                SET version = excluded.version, xact = excluded.xact;
        END IF;
        RETURN NULL;
    END
    $$;
    CREATE TRIGGER memories_version AFTER INSERT OR DELETE OR UPDATE OF text ON memories
        FOR EACH ROW EXECUTE FUNCTION memory_version_bump();
    """,
]

# Row-level security as a second lock behind every query's `WHERE user_id = ?`: each table of
# this schema with a user_id column (core, memory's vector tables, every skill's), except the
# server's own accounts and login tables (`server_*`, read before anyone is known), sees and
# takes only the rows of the user its transaction names (`os1.user_id`, set with
# `set_config(..., true)` so it ends with the transaction), or every row in a system
# transaction (`os1.system = 'on'`: the scheduler's index, `os1 migrate`). Unset, nothing is
# visible. FORCE binds the tables' owner too; only superusers and BYPASSRLS roles pass
# regardless. Idempotent and cheap when nothing is new: run after every migration, by the
# migrating transaction (it needs the owner's rights).
ROW_POLICY = "os1_user_rows"
USER_ROW_CHECK = (
    "user_id = current_setting('os1.user_id', true) OR current_setting('os1.system', true) = 'on'"
)
SECURE_USER_TABLES = f"""
DO $$
DECLARE t text;
BEGIN
    FOR t IN
        SELECT c.relname FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'user_id'
            AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p')
            AND left(c.relname, 7) <> 'server_'
            AND (
                NOT (c.relrowsecurity AND c.relforcerowsecurity)
                OR NOT EXISTS (
                    SELECT 1 FROM pg_policy p
                    WHERE p.polrelid = c.oid AND p.polname = '{ROW_POLICY}'
                )
            )
    LOOP
        -- Also where the policy exists but someone turned the lock off: it goes back on.
        EXECUTE format(
            'ALTER TABLE %I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t);
        IF NOT EXISTS (
            SELECT 1 FROM pg_policy p
            WHERE p.polrelid = format('%I', t)::regclass AND p.polname = '{ROW_POLICY}'
        ) THEN
            EXECUTE format(
                'CREATE POLICY {ROW_POLICY} ON %I USING ({USER_ROW_CHECK.replace("'", "''")}) '
                'WITH CHECK ({USER_ROW_CHECK.replace("'", "''")})', t);
        END IF;
    END LOOP;
END
$$;
"""
