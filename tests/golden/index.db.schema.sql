-- page_size 4096
-- table contents
CREATE TABLE contents (prefix INTEGER NOT NULL, idx INTEGER NOT NULL,
                                     PRIMARY KEY (prefix, idx)) WITHOUT ROWID;
-- table documents
CREATE TABLE documents (prefix INTEGER NOT NULL, idx INTEGER NOT NULL,
                                      PRIMARY KEY (prefix, idx)) WITHOUT ROWID;
-- table leaf_hashes
CREATE TABLE leaf_hashes (prefix INTEGER NOT NULL, idx INTEGER NOT NULL,
                                        PRIMARY KEY (prefix, idx)) WITHOUT ROWID;
-- table meta
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
-- table tender_events
CREATE TABLE tender_events (tender TEXT NOT NULL, seq INTEGER NOT NULL,
                                          idx INTEGER NOT NULL,
                                          PRIMARY KEY (tender, seq)) WITHOUT ROWID;
