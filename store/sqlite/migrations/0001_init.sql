-- Galleries and their enrolled faces, always keyed by client first so that
-- no statement can reach another client's rows by gallery or user ID alone.
-- Timestamps are UTC unix milliseconds; embeddings are little-endian float32.

CREATE TABLE galleries (
    client_id  TEXT    NOT NULL,
    gallery_id TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, gallery_id)
) STRICT;

-- The primary key's (client_id, gallery_id) prefix also serves the foreign
-- key, so cascading a gallery delete needs no extra index.
CREATE TABLE faces (
    client_id  TEXT    NOT NULL,
    gallery_id TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    user_name  TEXT    NOT NULL,
    embedding  BLOB    NOT NULL,
    photo      BLOB,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, gallery_id, user_id),
    FOREIGN KEY (client_id, gallery_id)
        REFERENCES galleries (client_id, gallery_id) ON DELETE CASCADE
) STRICT;
