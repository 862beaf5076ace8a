-- One row per deletion of exchanges: floor is the highest exchange rowid left after it.
-- Exchanges stored later take rowids above floor (SQLite gives a new row the highest rowid
-- plus one), reusing those of deleted ones, so a reader following the store by rowid
-- (traffic tail) goes back to floor when it sees a deletion it has not seen yet. (exchanges
-- has no INTEGER PRIMARY KEY: a VACUUM run by hand may renumber its rowids, and a tail
-- running across it may then skip or repeat exchanges.)
CREATE TABLE exchange_deletions (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    floor INTEGER NOT NULL
);
