-- Workspace-wide settings by name (the lint ruleset the workspace's APIs are checked with).
CREATE TABLE settings (
    name       TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);
