-- 0001_init: the first management-plane schema.
-- Times are INTEGER microseconds since the Unix epoch (UTC); NULL means not set.
-- The SQL is kept portable (no SQLite-only functions) so that other implementations can
-- follow it table by table.

-- Catalogs (one per environment). seq is the catalog's change counter: every change the
-- data plane sees increments it in the same transaction.
CREATE TABLE catalogs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    base_url   TEXT    NOT NULL DEFAULT '',
    seq        INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- Content-addressed revision content, shared by revisions of every catalog (promote copies
-- a reference). hash is store.Bundle.Hash; settings is store.CanonicalSettings JSON.
CREATE TABLE bundles (
    hash       TEXT    PRIMARY KEY,
    root       TEXT    NOT NULL,
    settings   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- The spec files of a bundle, in the order given (seq).
CREATE TABLE bundle_files (
    bundle_hash TEXT    NOT NULL REFERENCES bundles (hash),
    seq         INTEGER NOT NULL,
    path        TEXT    NOT NULL,
    content     BLOB    NOT NULL,
    PRIMARY KEY (bundle_hash, seq)
);

-- The APIs of a catalog with their current revision number and lifecycle.
CREATE TABLE catalog_apis (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    catalog_id    INTEGER NOT NULL REFERENCES catalogs (id),
    name          TEXT    NOT NULL,
    revision      INTEGER NOT NULL,
    state         TEXT    NOT NULL,
    deprecated_at INTEGER,
    sunset        INTEGER,
    seq           INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (catalog_id, name)
);

-- Immutable revisions; number counts 1, 2, 3... per API per catalog.
CREATE TABLE revisions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    api_id            INTEGER NOT NULL REFERENCES catalog_apis (id),
    number            INTEGER NOT NULL,
    bundle_hash       TEXT    NOT NULL REFERENCES bundles (hash),
    seq               INTEGER NOT NULL,
    published_by      TEXT    NOT NULL,
    published_at      INTEGER NOT NULL,
    reason            TEXT    NOT NULL DEFAULT '',
    breaking          INTEGER NOT NULL DEFAULT 0,
    promoted_from     TEXT    NOT NULL DEFAULT '',
    promoted_revision INTEGER NOT NULL DEFAULT 0,
    UNIQUE (api_id, number)
);
CREATE INDEX revisions_bundle_hash ON revisions (bundle_hash);

-- What the data-plane feed replays: one row per catalog sequence.
CREATE TABLE feed_events (
    catalog_id INTEGER NOT NULL REFERENCES catalogs (id),
    seq        INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    api        TEXT    NOT NULL DEFAULT '',
    revision   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (catalog_id, seq)
);

CREATE TABLE consumers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    catalog_id  INTEGER NOT NULL REFERENCES catalogs (id),
    name        TEXT    NOT NULL,
    groups_json TEXT    NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    UNIQUE (catalog_id, name)
);

-- API keys, hashed (secret.Hash); a hash identifies one key across all catalogs.
CREATE TABLE credentials (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    consumer_id INTEGER NOT NULL REFERENCES consumers (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL DEFAULT '',
    hash        TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

-- Gateway nodes as last reported; revisions is a JSON object of API name to revision.
CREATE TABLE nodes (
    catalog_id INTEGER NOT NULL REFERENCES catalogs (id),
    node_id    TEXT    NOT NULL,
    version    TEXT    NOT NULL DEFAULT '',
    seq        INTEGER NOT NULL DEFAULT 0,
    revisions  TEXT    NOT NULL DEFAULT '{}',
    addr       TEXT    NOT NULL DEFAULT '',
    error      TEXT    NOT NULL DEFAULT '',
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    PRIMARY KEY (catalog_id, node_id)
);

-- admin is 0 or 1 (a boolean elsewhere).
CREATE TABLE users (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    admin      INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- One role per user per catalog.
CREATE TABLE role_bindings (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    catalog_id INTEGER NOT NULL REFERENCES catalogs (id),
    role       TEXT    NOT NULL,
    PRIMARY KEY (user_id, catalog_id)
);

-- Bearer tokens, hashed. A user token has user_id, a node token catalog_id.
CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT    NOT NULL,
    name       TEXT    NOT NULL DEFAULT '',
    hash       TEXT    NOT NULL UNIQUE,
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    catalog_id INTEGER REFERENCES catalogs (id),
    created_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER
);
CREATE INDEX tokens_user_id ON tokens (user_id);
CREATE INDEX tokens_catalog_id ON tokens (catalog_id);

-- The audit log, append-only. catalog is a name, not a reference: history outlives rows.
CREATE TABLE audit (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              INTEGER NOT NULL,
    actor           TEXT    NOT NULL,
    source_ip       TEXT    NOT NULL DEFAULT '',
    action          TEXT    NOT NULL,
    catalog         TEXT    NOT NULL DEFAULT '',
    target          TEXT    NOT NULL,
    revision_before INTEGER NOT NULL DEFAULT 0,
    revision_after  INTEGER NOT NULL DEFAULT 0,
    reason          TEXT    NOT NULL DEFAULT '',
    detail          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_catalog ON audit (catalog, id);
