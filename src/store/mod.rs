//! The datastore (`--datastore PATH`): an SQLite file that remembers, per repository, what was
//! walked and scanned under which rules, the findings with their locations, verification
//! outcomes and triage, so that the next run scans only what changed. It sits beside `report`
//! (whose `Finding` it keeps) and knows nothing of git: the command line asks it what to skip
//! and hands it what a scan found.

mod findings;
mod merge;
mod open;
mod repos;
mod schema;
#[cfg(test)]
mod tests;
mod triage;
mod verifications;

use std::path::Path;

use rusqlite::Connection;
use thiserror::Error;

pub(crate) use findings::{FindingFilter, NewFinding, RepoKind};
pub(crate) use repos::RepoRecord;

/// What went wrong with a datastore; every variant names the file.
#[derive(Debug, Error)]
pub(crate) enum StoreError {
    /// The file is not SQLite at all, or SQLite of another program.
    #[error("{file}: not a keyfence datastore ({why}); nothing was written to it")]
    NotADatastore {
        /// The store as named.
        file: String,
        /// What it is instead.
        why: String,
    },
    /// A newer keyfence wrote it.
    #[error(
        "{file}: datastore schema version {found} is newer than this keyfence supports \
         ({supported}); upgrade keyfence (nothing was written to it)"
    )]
    NewerSchema {
        /// The store as named.
        file: String,
        /// Its version.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
    /// The file (or its directory) cannot be written.
    #[error("{file}: the datastore is read-only ({why})")]
    ReadOnly {
        /// The store as named.
        file: String,
        /// Why.
        why: String,
    },
    /// Another process held the store's write lock for the whole busy timeout.
    #[error(
        "{file}: the datastore is locked by another keyfence (or another writer); gave up after \
         waiting {waited_ms} ms (KEYFENCE_DATASTORE_TIMEOUT sets the wait, in seconds)"
    )]
    Locked {
        /// The store as named.
        file: String,
        /// How long it waited.
        waited_ms: u64,
    },
    /// SQLite found the file damaged.
    #[error("{file}: the datastore is damaged: {message}")]
    Corrupt {
        /// The store as named.
        file: String,
        /// SQLite's words.
        message: String,
    },
    /// The file does not exist (commands that only read a store).
    #[error("{file}: no such datastore")]
    Missing {
        /// The store as named.
        file: String,
    },
    /// A record in the store does not read back.
    #[error("{file}: {what}")]
    BadRecord {
        /// The store as named.
        file: String,
        /// What is wrong.
        what: String,
    },
    /// Anything else SQLite reported.
    #[error("{file}: {context}: {source}")]
    Sqlite {
        /// The store as named.
        file: String,
        /// What keyfence was doing.
        context: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
}

/// An open datastore.
pub(crate) struct Store {
    conn: Connection,
    /// The file as named in messages.
    file: String,
    /// How long a writer waits for the lock.
    busy_ms: u64,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.file)
    }
}

impl Store {
    /// Opens the store at `path`, creating it when it does not exist, and migrates it to the
    /// current schema. `busy_ms` is how long a write waits for another writer.
    pub(crate) fn open(path: &Path, busy_ms: u64) -> Result<Store, StoreError> {
        open::open(path, busy_ms, true)
    }

    /// Opens an existing store (migrated like [`Store::open`]); a missing file is an error.
    pub(crate) fn open_existing(path: &Path, busy_ms: u64) -> Result<Store, StoreError> {
        open::open(path, busy_ms, false)
    }

    /// Opens an existing store to read it; one without write permission is opened read-only.
    pub(crate) fn open_for_reading(path: &Path, busy_ms: u64) -> Result<Store, StoreError> {
        open::open_read_only(path, busy_ms)
    }

    /// The file as named in messages.
    pub(crate) fn file(&self) -> &str {
        &self.file
    }

    /// Maps an SQLite error to a [`StoreError`] naming the file: busy, read-only, damaged, or
    /// `context`.
    pub(crate) fn err(&self, context: &str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        let context = context.to_string();
        move |e| open::classify(&self.file, self.busy_ms, &context, e)
    }

    /// Starts a run of `command` at `now`; its id marks the findings it finds first.
    pub(crate) fn begin_run(&mut self, command: &str, now: &str) -> Result<i64, StoreError> {
        let (file, busy) = (self.file.clone(), self.busy_ms);
        let fail = |e| open::classify(&file, busy, "starting a run", e);
        let tx = self.write()?;
        tx.execute(
            "INSERT INTO runs (command, started_at) VALUES (?1, ?2)",
            (command, now),
        )
        .map_err(fail)?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(fail)?;
        Ok(id)
    }

    /// A write transaction, taken at once (waiting up to the busy timeout for another writer).
    fn write(&mut self) -> Result<rusqlite::Transaction<'_>, StoreError> {
        let (file, busy) = (self.file.clone(), self.busy_ms);
        self.conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(move |e| open::classify(&file, busy, "taking the write lock", e))
    }
}
