-- One row per deletion of exchanges: floor is the highest exchange rowid left after it.
-- Exchanges stored later take rowids above floor (SQLite gives a new row the highest rowid
-- plus one), reusing those of deleted ones, so a reader following the store by rowid
-- (traffic tail) goes back to floor when it sees a deletion it has not seen yet.
CREATE TABLE exchange_deletions (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    floor INTEGER NOT NULL
);
