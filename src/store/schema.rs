//! The datastore's schema: one forward migration per version, applied in order on open. A
//! store's version is SQLite's `user_version`; a keyfence datastore is marked by its
//! `application_id`.

/// Marks an SQLite file as a keyfence datastore (`kfds`).
pub(crate) const APPLICATION_ID: i32 = 0x6b66_6473;

/// The migrations: `MIGRATIONS[i]` takes a store from version `i` to `i + 1`. Never edit one
/// that has shipped; add the next.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: repositories, the rules they were scanned under, what was walked and scanned (the blobs
    // of one scan as one row of sorted 20-byte ids, keyed by a hash of them: a write of 160,000
    // ids costs one row, and merging the same row twice adds nothing), findings and their triage.
    "CREATE TABLE runs (
         id INTEGER PRIMARY KEY,
         command TEXT NOT NULL,
         started_at TEXT NOT NULL
     );
     CREATE TABLE repos (
         id INTEGER PRIMARY KEY,
         name TEXT NOT NULL UNIQUE,
         kind TEXT NOT NULL,
         commits_walked INTEGER NOT NULL DEFAULT 0,
         last_run INTEGER,
         scanned_at TEXT
     );
     CREATE TABLE rulesets (
         id INTEGER PRIMARY KEY,
         digest TEXT NOT NULL UNIQUE
     );
     CREATE TABLE tips (
         repo INTEGER NOT NULL,
         ruleset INTEGER NOT NULL,
         oid BLOB NOT NULL,
         PRIMARY KEY (repo, ruleset, oid)
     ) WITHOUT ROWID;
     CREATE TABLE blobs (
         repo INTEGER NOT NULL,
         ruleset INTEGER NOT NULL,
         hash TEXT NOT NULL,
         oids BLOB NOT NULL,
         PRIMARY KEY (repo, ruleset, hash)
     );
     CREATE TABLE findings (
         id INTEGER PRIMARY KEY,
         repo INTEGER NOT NULL,
         fingerprint TEXT NOT NULL,
         path TEXT NOT NULL,
         line INTEGER NOT NULL,
         rule_id TEXT NOT NULL,
         key_id TEXT,
         commit_id TEXT,
         paired INTEGER NOT NULL,
         at_tip INTEGER,
         record TEXT NOT NULL,
         first_run INTEGER,
         first_seen TEXT NOT NULL,
         UNIQUE (repo, fingerprint, path)
     );
     CREATE INDEX findings_fingerprint ON findings (fingerprint);
     CREATE INDEX findings_key_id ON findings (key_id);
     CREATE TABLE triage (
         fingerprint TEXT PRIMARY KEY,
         status TEXT NOT NULL,
         note TEXT,
         by TEXT NOT NULL,
         at TEXT NOT NULL
     );",
    // 2: verification outcomes with their time, and every triage decision ever made.
    "CREATE TABLE verifications (
         fingerprint TEXT PRIMARY KEY,
         status TEXT NOT NULL,
         outcome TEXT NOT NULL,
         at TEXT NOT NULL
     );
     CREATE TABLE triage_log (
         fingerprint TEXT NOT NULL,
         status TEXT NOT NULL,
         note TEXT NOT NULL DEFAULT '',
         by TEXT NOT NULL,
         at TEXT NOT NULL,
         UNIQUE (fingerprint, at, status, by, note)
     );",
];

/// The schema version this keyfence writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;
