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
]

# The tables `os1 migrate` copies, parents first, each with the order its rows are compared
# in: text keys bytewise (`COLLATE "C"` here, SQLite's BINARY there), so both sides agree.
CORE_TABLES: dict[str, str] = {
    "conversations": "id",
    "messages": "id",
    "profile": 'user_id COLLATE "C", key COLLATE "C"',
    "tool_calls": 'id COLLATE "C"',
    "memories": "id",
    "memory_sources": 'memory_id, source COLLATE "C"',
    "memory_embeddings": "memory_id",
}
# Tables whose `id` is a BIGSERIAL: its sequence continues after the copied ids.
SERIAL_TABLES = ("conversations", "messages", "memories")
