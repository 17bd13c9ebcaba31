-- Several nodes: each session names the node that owns it and how long that
-- node's claim lasts unless renewed (unix milliseconds; 0 for the sessions
-- of earlier versions, which any node may end as lost). The OAuth signing
-- key lives here so that every node on the store signs with the same one.

ALTER TABLE sessions ADD COLUMN node        TEXT    NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN node_url    TEXT    NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;

CREATE TABLE signing_keys (
    name       TEXT    NOT NULL PRIMARY KEY,
    key        BLOB    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
