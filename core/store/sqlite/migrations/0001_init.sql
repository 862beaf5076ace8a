-- 0001_init: the first workspace schema.
-- Times are INTEGER microseconds since the Unix epoch (UTC); durations are INTEGER nanoseconds.

-- APIs by unique name. AUTOINCREMENT so that IDs of deleted APIs are never reused.
CREATE TABLE apis (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Content-addressed blobs shared between revisions (and APIs). hash is the hex SHA-256 of the
-- uncompressed content; encoding says how data is stored ('' = as is, 'deflate' = raw DEFLATE);
-- size is the uncompressed length.
CREATE TABLE blobs (
    hash     TEXT    PRIMARY KEY,
    encoding TEXT    NOT NULL DEFAULT '',
    size     INTEGER NOT NULL,
    data     BLOB    NOT NULL
);

-- Spec revisions; the newest revision of an API is the one with the highest id.
-- (api_id, hash) is indexed but not unique: returning to earlier content (A, B, A) adds a new
-- newest revision, and identical content costs nothing extra because blobs are shared.
CREATE TABLE spec_revisions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    api_id        INTEGER NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    hash          TEXT    NOT NULL,
    source_path   TEXT    NOT NULL DEFAULT '',
    root          TEXT    NOT NULL DEFAULT '',
    title         TEXT    NOT NULL DEFAULT '',
    version       TEXT    NOT NULL DEFAULT '',
    spec_version  TEXT    NOT NULL DEFAULT '',
    operations    INTEGER NOT NULL DEFAULT 0,
    compiled_hash TEXT    REFERENCES blobs (hash),
    created_at    INTEGER NOT NULL
);
CREATE INDEX spec_revisions_api_id ON spec_revisions (api_id, id);
CREATE INDEX spec_revisions_api_hash ON spec_revisions (api_id, hash);
CREATE INDEX spec_revisions_compiled_hash ON spec_revisions (compiled_hash);

-- The files of a revision, in the order they were given (seq).
CREATE TABLE revision_files (
    revision_id INTEGER NOT NULL REFERENCES spec_revisions (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    path        TEXT    NOT NULL,
    blob_hash   TEXT    NOT NULL REFERENCES blobs (hash),
    PRIMARY KEY (revision_id, seq),
    UNIQUE (revision_id, path)
);
CREATE INDEX revision_files_blob_hash ON revision_files (blob_hash);

-- Environments by unique name; variables is a JSON object of strings.
CREATE TABLE environments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    variables  TEXT    NOT NULL DEFAULT '{}',
    updated_at INTEGER NOT NULL
);

-- Captured exchanges. id is time-ordered, so ORDER BY id DESC lists newest first.
-- Header, violation and warning columns hold JSON (NULL when empty).
CREATE TABLE exchanges (
    id               TEXT    PRIMARY KEY,
    started_at       INTEGER NOT NULL,
    duration         INTEGER NOT NULL DEFAULT 0,
    api              TEXT    NOT NULL DEFAULT '',
    operation        TEXT    NOT NULL DEFAULT '',
    mode             TEXT    NOT NULL DEFAULT '',
    client_addr      TEXT    NOT NULL DEFAULT '',
    method           TEXT    NOT NULL DEFAULT '',
    url              TEXT    NOT NULL DEFAULT '',
    host             TEXT    NOT NULL DEFAULT '',
    proto            TEXT    NOT NULL DEFAULT '',
    request_headers  TEXT,
    request_body     BLOB,
    request_size     INTEGER NOT NULL DEFAULT 0,
    status           INTEGER NOT NULL DEFAULT 0,
    response_headers TEXT,
    response_body    BLOB,
    response_size    INTEGER NOT NULL DEFAULT 0,
    violations       TEXT,
    warnings         TEXT
);
CREATE INDEX exchanges_api_id ON exchanges (api, id);
CREATE INDEX exchanges_status_id ON exchanges (status, id);
CREATE INDEX exchanges_started_at ON exchanges (started_at);
