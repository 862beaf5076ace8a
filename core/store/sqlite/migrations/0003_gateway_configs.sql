-- Gateway configurations (gantry.yaml imported into the workspace), one row per revision.
-- document is the configuration as JSON (credentials already hashed); hash is the SHA-256
-- of document, so storing the same configuration twice adds no revision.
CREATE TABLE gateway_configs (
    id         INTEGER PRIMARY KEY,
    hash       TEXT    NOT NULL,
    document   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
