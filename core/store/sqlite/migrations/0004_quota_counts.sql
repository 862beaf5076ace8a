-- Quota counters of the gateway's quota policy, so that daily and monthly quotas survive a
-- restart. One row per key and period; the newest period of a key replaces older ones.
CREATE TABLE quota_counts (
    key      TEXT    PRIMARY KEY,
    start    INTEGER NOT NULL,
    used     INTEGER NOT NULL
) WITHOUT ROWID;
