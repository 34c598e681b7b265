"""Numbered, append-only schema migrations. Never edit one that has shipped: add the next."""

MIGRATIONS: list[str] = [
    # 1: conversations, messages and the profile, each row owned by a user.
    """
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL,
        title TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX conversations_by_user ON conversations(user_id, updated_at);
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
        content TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'complete'
            CHECK (status IN ('complete', 'cancelled', 'error', 'interrupted')),
        created_at TEXT NOT NULL,
        meta TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    CREATE TABLE profile (
        user_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (user_id, key)
    );
    """,
]

MIGRATIONS.append(
    # 2: long-term memory. Episodes (turns) and what is derived from them, each with its
    # sources; a lexical index kept in sync by triggers; each memory's own embedding and the
    # search vector derived from it (for episodes, blended with the turns around it), exact
    # for reranking; the binary vec0 index for fast candidates is created per embedding size.
    """
    CREATE TABLE memories (
        id INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL
            CHECK (kind IN ('episode', 'fact', 'event', 'preference', 'reflection')),
        text TEXT NOT NULL,
        speaker TEXT,
        subject TEXT,
        attribute TEXT,
        value TEXT,
        said_at TEXT,
        happened_at TEXT,
        happened_until TEXT,
        session TEXT,
        importance REAL NOT NULL DEFAULT 0.3,
        superseded_by INTEGER REFERENCES memories(id) ON DELETE SET NULL,
        consolidated INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE INDEX memories_by_user ON memories(user_id, kind, said_at);
    CREATE INDEX memories_pending ON memories(user_id, consolidated) WHERE consolidated = 0;
    CREATE INDEX memories_by_slot ON memories(user_id, subject, attribute)
        WHERE subject IS NOT NULL;
    CREATE INDEX memories_by_session ON memories(user_id, session, id) WHERE kind = 'episode';
    CREATE TABLE memory_sources (
        memory_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
        source TEXT NOT NULL,
        PRIMARY KEY (memory_id, source)
    );
    CREATE INDEX memory_sources_by_source ON memory_sources(source);
    CREATE VIRTUAL TABLE memory_fts USING fts5(
        text, content='memories', content_rowid='id', tokenize='porter unicode61'
    );
    CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
        INSERT INTO memory_fts(rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
        INSERT INTO memory_fts(memory_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    CREATE TRIGGER memories_fts_update AFTER UPDATE OF text ON memories BEGIN
        INSERT INTO memory_fts(memory_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO memory_fts(rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TABLE memory_embeddings (
        memory_id INTEGER PRIMARY KEY REFERENCES memories(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        vector BLOB NOT NULL,
        search_vector BLOB NOT NULL
    );
    """
)

MIGRATIONS.append(
    # 3: tool calls, each owned by a user and a conversation: a side effect waits here as
    # 'pending' until the user confirms that exact call, and is claimed exactly once.
    # Skills and the server keep their own append-only migrations, versioned per component.
    """
    CREATE TABLE tool_calls (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        arguments TEXT NOT NULL,
        side_effect INTEGER NOT NULL,
        origin TEXT NOT NULL,
        summary TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('pending', 'running', 'done', 'failed', 'declined', 'expired')),
        output TEXT,
        created_at TEXT NOT NULL,
        decided_at TEXT
    );
    CREATE INDEX tool_calls_by_user ON tool_calls(user_id, status, created_at);
    CREATE TABLE schema_components (
        name TEXT PRIMARY KEY,
        version INTEGER NOT NULL
    );
    """
)

MIGRATIONS.append(
    # 4: the lexical index knows whose each memory is. With many users in one file, a search
    # (and the count of how common a word is) used to walk every user's postings and filter
    # afterwards; `user_id : "…" AND text : (…)` lets FTS5 intersect with one user's list.
    """
    DROP TRIGGER IF EXISTS memories_fts_insert;
    DROP TRIGGER IF EXISTS memories_fts_delete;
    DROP TRIGGER IF EXISTS memories_fts_update;
    DROP TABLE IF EXISTS memory_fts;
    CREATE VIRTUAL TABLE memory_fts USING fts5(
        text, user_id, content='memories', content_rowid='id', tokenize='porter unicode61'
    );
    CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
        INSERT INTO memory_fts(rowid, text, user_id) VALUES (new.id, new.text, new.user_id);
    END;
    CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
        INSERT INTO memory_fts(memory_fts, rowid, text, user_id)
            VALUES ('delete', old.id, old.text, old.user_id);
    END;
    CREATE TRIGGER memories_fts_update AFTER UPDATE OF text ON memories BEGIN
        INSERT INTO memory_fts(memory_fts, rowid, text, user_id)
            VALUES ('delete', old.id, old.text, old.user_id);
        INSERT INTO memory_fts(rowid, text, user_id) VALUES (new.id, new.text, new.user_id);
    END;
    INSERT INTO memory_fts(memory_fts) VALUES ('rebuild');
    """
)

MIGRATIONS.append(
    # 5: taint as data flow. A memory whose text came from outside (a mail, a note file, a
    # companion reply written while a mail was in view) is marked untrusted; what is derived
    # from it inherits the mark, and recall shows it to the model only as quoted data.
    # Memories of replies already stored with an untrusted turn are marked now.
    """
    ALTER TABLE memories ADD COLUMN untrusted INTEGER NOT NULL DEFAULT 0;
    UPDATE memories SET untrusted = 1 WHERE id IN (
        SELECT s.memory_id FROM memory_sources s JOIN messages m ON s.source = 'msg:' || m.id
        WHERE m.meta != '{}' AND json_extract(m.meta, '$.untrusted')
        UNION SELECT memory_id FROM memory_sources WHERE source GLOB 'note:*'
            OR source GLOB 'mail:*'
    );
    UPDATE memories SET untrusted = 1 WHERE id IN (
        SELECT s.memory_id FROM memory_sources s JOIN memories d ON s.source = 'mem:' || d.id
        WHERE d.untrusted = 1
    );
    """
)

MIGRATIONS.append(
    # 6: a user's memories by id. The in-memory vector index catches up with embeddings written
    # by other connections (on a server, every other user's commit counts as one) by reading
    # this user's memories above the highest id it holds: without this index that walked all
    # of the user's memories, ~140 ms for a user with 100k of them, on every search.
    """
    CREATE INDEX IF NOT EXISTS memories_by_user_id ON memories(user_id, id);
    """
)
