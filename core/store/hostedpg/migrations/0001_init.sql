-- 0001_init: the first management-plane schema, table by table the same as the SQLite
-- store's. Times are timestamptz (microseconds, UTC on the way out); NULL means not set.

-- Catalogs (one per environment). seq is the catalog's change counter: every change the
-- data plane sees locks the row and increments it in the same transaction.
CREATE TABLE catalogs (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL UNIQUE,
    base_url   text        NOT NULL DEFAULT '',
    seq        bigint      NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL
);

-- Content-addressed revision content, shared by revisions of every catalog (promote copies
-- a reference). hash is store.Bundle.Hash; settings is store.CanonicalSettings JSON, kept
-- as text so that it comes back byte for byte.
CREATE TABLE bundles (
    hash       text        PRIMARY KEY,
    root       text        NOT NULL,
    settings   text        NOT NULL,
    created_at timestamptz NOT NULL
);

-- The spec files of a bundle, in the order given (seq).
CREATE TABLE bundle_files (
    bundle_hash text   NOT NULL REFERENCES bundles (hash),
    seq         int    NOT NULL,
    path        text   NOT NULL,
    content     bytea  NOT NULL,
    PRIMARY KEY (bundle_hash, seq)
);

-- The APIs of a catalog with their current revision number and lifecycle.
CREATE TABLE catalog_apis (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    catalog_id    bigint      NOT NULL REFERENCES catalogs (id),
    name          text        NOT NULL,
    revision      bigint      NOT NULL,
    state         text        NOT NULL,
    deprecated_at timestamptz,
    sunset        timestamptz,
    seq           bigint      NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    UNIQUE (catalog_id, name)
);

-- Immutable revisions; number counts 1, 2, 3... per API per catalog.
CREATE TABLE revisions (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    api_id            bigint      NOT NULL REFERENCES catalog_apis (id),
    number            bigint      NOT NULL,
    bundle_hash       text        NOT NULL REFERENCES bundles (hash),
    seq               bigint      NOT NULL,
    published_by      text        NOT NULL,
    published_at      timestamptz NOT NULL,
    reason            text        NOT NULL DEFAULT '',
    breaking          int         NOT NULL DEFAULT 0,
    promoted_from     text        NOT NULL DEFAULT '',
    promoted_revision bigint      NOT NULL DEFAULT 0,
    UNIQUE (api_id, number)
);
CREATE INDEX revisions_bundle_hash ON revisions (bundle_hash);

-- What the data-plane feed replays: one row per catalog sequence.
CREATE TABLE feed_events (
    catalog_id bigint      NOT NULL REFERENCES catalogs (id),
    seq        bigint      NOT NULL,
    kind       text        NOT NULL,
    api        text        NOT NULL DEFAULT '',
    revision   bigint      NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (catalog_id, seq)
);

-- Every feed event notifies the channel gantry_catalog_changed with the payload
-- "<schema> <catalog id> <seq>" (the schema tells apart deployments that share one
-- database in different schemas). NOTIFY inside the writing transaction is delivered when
-- it commits (and never if it rolls back), to the listeners of every server process.
CREATE FUNCTION gantry_notify_catalog_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gantry_catalog_changed',
        TG_TABLE_SCHEMA || ' ' || NEW.catalog_id::text || ' ' || NEW.seq::text);
    RETURN NULL;
END;
$$;
CREATE TRIGGER feed_events_notify AFTER INSERT ON feed_events
    FOR EACH ROW EXECUTE FUNCTION gantry_notify_catalog_changed();

CREATE TABLE consumers (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    catalog_id bigint      NOT NULL REFERENCES catalogs (id),
    name       text        NOT NULL,
    groups     text[]      NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    UNIQUE (catalog_id, name)
);

-- API keys, hashed (secret.Hash); a hash identifies one key across all catalogs.
CREATE TABLE credentials (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer_id bigint      NOT NULL REFERENCES consumers (id) ON DELETE CASCADE,
    name        text        NOT NULL DEFAULT '',
    hash        text        NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL
);
CREATE INDEX credentials_consumer_id ON credentials (consumer_id);

-- Gateway nodes as last reported; revisions maps API names to revision numbers.
CREATE TABLE nodes (
    catalog_id bigint      NOT NULL REFERENCES catalogs (id),
    node_id    text        NOT NULL,
    version    text        NOT NULL DEFAULT '',
    seq        bigint      NOT NULL DEFAULT 0,
    revisions  jsonb       NOT NULL DEFAULT '{}',
    addr       text        NOT NULL DEFAULT '',
    error      text        NOT NULL DEFAULT '',
    first_seen timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    PRIMARY KEY (catalog_id, node_id)
);

CREATE TABLE users (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL UNIQUE,
    admin      boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL
);

-- One role per user per catalog.
CREATE TABLE role_bindings (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    catalog_id bigint NOT NULL REFERENCES catalogs (id),
    role       text   NOT NULL,
    PRIMARY KEY (user_id, catalog_id)
);

-- Bearer tokens, hashed. A user token has user_id, a node token catalog_id.
CREATE TABLE tokens (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text        NOT NULL,
    name       text        NOT NULL DEFAULT '',
    hash       text        NOT NULL UNIQUE,
    user_id    bigint      REFERENCES users (id) ON DELETE CASCADE,
    catalog_id bigint      REFERENCES catalogs (id),
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz
);
CREATE INDEX tokens_user_id ON tokens (user_id);
CREATE INDEX tokens_catalog_id ON tokens (catalog_id);

-- The audit log, append-only. catalog is a name, not a reference: history outlives rows.
CREATE TABLE audit (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL,
    actor           text        NOT NULL,
    source_ip       text        NOT NULL DEFAULT '',
    action          text        NOT NULL,
    catalog         text        NOT NULL DEFAULT '',
    target          text        NOT NULL,
    revision_before bigint      NOT NULL DEFAULT 0,
    revision_after  bigint      NOT NULL DEFAULT 0,
    reason          text        NOT NULL DEFAULT '',
    detail          text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_catalog ON audit (catalog, id);
CREATE INDEX audit_actor ON audit (actor, id);
