-- The whole schema of store/postgres: galleries and faces (keyed by client
-- first, so that no statement reaches another client's rows by gallery or
-- user ID alone), sessions with their owner node and lease, audit images,
-- and the OAuth signing key every node shares. Embeddings are little-endian
-- float32s; request and result are JSON the store does not read.

CREATE TABLE galleries (
    client_id  TEXT        NOT NULL,
    gallery_id TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (client_id, gallery_id)
);

CREATE TABLE faces (
    client_id  TEXT        NOT NULL,
    gallery_id TEXT        NOT NULL,
    user_id    TEXT        NOT NULL,
    user_name  TEXT        NOT NULL,
    embedding  BYTEA       NOT NULL,
    photo      BYTEA,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (client_id, gallery_id, user_id),
    FOREIGN KEY (client_id, gallery_id)
        REFERENCES galleries (client_id, gallery_id) ON DELETE CASCADE
);

-- finished_at is set exactly when the state is final.
CREATE TABLE sessions (
    id          TEXT        NOT NULL PRIMARY KEY,
    client_id   TEXT        NOT NULL,
    trx_id      TEXT        NOT NULL,
    token_hash  BYTEA       NOT NULL,
    state       TEXT        NOT NULL CHECK (state IN
                    ('created', 'in_progress', 'passed', 'failed', 'expired', 'cancelled')),
    reason      TEXT        NOT NULL,
    request     BYTEA       NOT NULL,
    result      BYTEA,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    node        TEXT        NOT NULL,
    node_url    TEXT        NOT NULL,
    lease_until TIMESTAMPTZ NOT NULL,
    CHECK ((finished_at IS NULL) = (state IN ('created', 'in_progress')))
);

-- Serves lease renewal and the search for lost sessions, which look only
-- at the few sessions not yet final.
CREATE INDEX sessions_unfinished ON sessions (node, lease_until)
    WHERE state IN ('created', 'in_progress');

CREATE TABLE audit_images (
    session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    image      INTEGER NOT NULL CHECK (image >= 1),
    jpeg       BYTEA   NOT NULL,
    PRIMARY KEY (session_id, image)
);

CREATE TABLE signing_keys (
    name       TEXT        NOT NULL PRIMARY KEY,
    key        BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
