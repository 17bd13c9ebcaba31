-- Interactive liveness sessions and the audit images of their results.
-- Sessions are keyed by their random ID alone: the server checks client_id
-- or the token hash itself. Timestamps are UTC unix milliseconds; request and
-- result are JSON the store does not read.

-- finished_at is set exactly when the state is final, so a session cannot be
-- left half-finished whatever writes to the file.
CREATE TABLE sessions (
    id          TEXT    NOT NULL PRIMARY KEY,
    client_id   TEXT    NOT NULL,
    trx_id      TEXT    NOT NULL,
    token_hash  BLOB    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN
                    ('created', 'in_progress', 'passed', 'failed', 'expired', 'cancelled')),
    reason      TEXT    NOT NULL,
    request     BLOB    NOT NULL,
    result      BLOB,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    finished_at INTEGER,
    CHECK ((finished_at IS NULL) = (state IN ('created', 'in_progress')))
) STRICT;

-- Serves AbandonSessions, which looks for the few sessions not yet final.
CREATE INDEX sessions_state ON sessions (state);

-- image is the 1-based index of the result the image illustrates.
CREATE TABLE audit_images (
    session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    image      INTEGER NOT NULL CHECK (image >= 1),
    jpeg       BLOB    NOT NULL,
    PRIMARY KEY (session_id, image)
) STRICT;
