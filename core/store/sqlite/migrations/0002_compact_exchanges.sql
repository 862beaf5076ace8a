-- Captured exchanges, compact: the columns that filters and listings use, and everything
-- else in one encoded detail blob (exchangecodec.go). Storing 20 columns and 4 indexes per
-- exchange cost about three times as much as this layout, on the recorder's hot path.
-- The rows of the old table are converted by Go code that runs in the same transaction
-- (migrate.go), which then drops it.
-- There are no secondary indexes: each cost about 15% of the insert rate, and a filtered
-- listing walks the primary key newest first and stops at its limit.
ALTER TABLE exchanges RENAME TO exchanges_v1;

CREATE TABLE exchanges (
    id         TEXT    PRIMARY KEY,
    started_at INTEGER NOT NULL,
    api        TEXT    NOT NULL DEFAULT '',
    consumer   TEXT    NOT NULL DEFAULT '',
    method     TEXT    NOT NULL DEFAULT '',
    status     INTEGER NOT NULL DEFAULT 0,
    url        TEXT    NOT NULL DEFAULT '',
    detail     BLOB    NOT NULL
);
