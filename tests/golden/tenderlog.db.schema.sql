-- page_size 16384
-- table checkpoints
CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL,
                          note TEXT NOT NULL, signed_ms INTEGER NOT NULL);
-- table leaves
CREATE TABLE leaves (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL);
-- table meta
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
-- table tiles
CREATE TABLE tiles (id INTEGER PRIMARY KEY, hashes BLOB NOT NULL);
