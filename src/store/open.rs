//! Opening a datastore: what the file is (SQLite, keyfence's, which schema), the settings every
//! connection takes (WAL, a busy timeout), the forward migrations, and SQLite's errors turned
//! into [`StoreError`]s that name the file.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::schema::{APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION};
use super::{Store, StoreError};

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Opens (and with `create`, creates) the store at `path`.
pub(super) fn open(path: &Path, busy_ms: u64, create: bool) -> Result<Store, StoreError> {
    let file = path.display().to_string();
    let exists = match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            return Err(StoreError::NotADatastore {
                file,
                why: "a directory".into(),
            })
        }
        Ok(m) => {
            check_header(path, &file, m.len())?;
            if m.permissions().readonly() {
                return Err(StoreError::ReadOnly {
                    file,
                    why: "the file has no write permission".into(),
                });
            }
            true
        }
        Err(_) if !create => return Err(StoreError::Missing { file }),
        Err(_) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::ReadOnly {
                    file: file.clone(),
                    why: format!("cannot create its directory: {e}"),
                })?;
            }
            false
        }
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut store = connect(path, file, busy_ms, flags)?;
    if !exists {
        restrict_mode(path);
    }
    prepare(&mut store)?;
    Ok(store)
}

/// A connection to `path` with `flags` and the busy timeout.
fn connect(path: &Path, file: String, busy_ms: u64, flags: OpenFlags) -> Result<Store, StoreError> {
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| classify(&file, busy_ms, "opening", e))?;
    let store = Store {
        conn,
        file,
        busy_ms,
    };
    store
        .conn
        .busy_timeout(Duration::from_millis(busy_ms))
        .map_err(store.err("setting the busy timeout"))?;
    Ok(store)
}

/// Opens an existing store for reading only (a file without write permission is fine): it
/// must be at the current schema, since a read-only store cannot be migrated.
pub(super) fn open_read_only(path: &Path, busy_ms: u64) -> Result<Store, StoreError> {
    let file = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|_| StoreError::Missing { file: file.clone() })?;
    if !meta.permissions().readonly() {
        return open(path, busy_ms, false);
    }
    check_header(path, &file, meta.len())?;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let store = connect(path, file, busy_ms, flags)?;
    let (app, version): (i32, i64) = store
        .conn
        .query_row(
            "SELECT (SELECT application_id FROM pragma_application_id),
                    (SELECT user_version FROM pragma_user_version)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(store.err("reading the schema version"))?;
    if app != APPLICATION_ID {
        return Err(StoreError::NotADatastore {
            file: store.file.clone(),
            why: "not marked as one".into(),
        });
    }
    if version != SCHEMA_VERSION {
        return Err(if version > SCHEMA_VERSION {
            StoreError::NewerSchema {
                file: store.file.clone(),
                found: version,
                supported: SCHEMA_VERSION,
            }
        } else {
            StoreError::ReadOnly {
                file: store.file.clone(),
                why: format!(
                    "schema version {version} needs migrating to {SCHEMA_VERSION}, which needs \
                     write permission"
                ),
            }
        });
    }
    Ok(store)
}

/// A file that exists must be empty (SQLite makes it a database) or start like SQLite.
fn check_header(path: &Path, file: &str, len: u64) -> Result<(), StoreError> {
    if len == 0 {
        return Ok(());
    }
    let mut head = Vec::with_capacity(SQLITE_MAGIC.len());
    let why = match std::fs::File::open(path).and_then(|f| f.take(16).read_to_end(&mut head)) {
        Ok(_) if head.as_slice() == SQLITE_MAGIC => return Ok(()),
        Ok(_) => "not an SQLite database".to_string(),
        Err(e) => format!("cannot read it: {e}"),
    };
    Err(StoreError::NotADatastore {
        file: file.to_string(),
        why,
    })
}

/// A new store holds secrets in full: readable by its owner only.
fn restrict_mode(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

/// Checks the store is keyfence's and not newer, sets WAL, and migrates it forward.
fn prepare(store: &mut Store) -> Result<(), StoreError> {
    let file = store.file.clone();
    let (app, version, tables): (i32, i64, i64) = store
        .conn
        .query_row(
            "SELECT (SELECT application_id FROM pragma_application_id),
                    (SELECT user_version FROM pragma_user_version),
                    (SELECT count(*) FROM sqlite_master)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(store.err("reading the schema version"))?;
    if app != APPLICATION_ID && (app != 0 || tables > 0) {
        return Err(StoreError::NotADatastore {
            file,
            why: "an SQLite database of another program".into(),
        });
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            file,
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    let mode: String = store
        .conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(store.err("switching to WAL"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::ReadOnly {
            file,
            why: format!("SQLite kept the journal mode `{mode}` instead of WAL"),
        });
    }
    store
        .conn
        .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;")
        .map_err(store.err("setting up the connection"))?;
    if version < SCHEMA_VERSION {
        migrate(store, version)?;
    }
    Ok(())
}

/// Applies the migrations after `from`, all in one transaction: a store is at one version or
/// the next, never between.
fn migrate(store: &mut Store, from: i64) -> Result<(), StoreError> {
    let (file, busy) = (store.file.clone(), store.busy_ms);
    let fail = |context: String| {
        let file = file.clone();
        move |e| classify(&file, busy, &context, e)
    };
    let tx = store.write()?;
    // The version read before the lock was taken may be stale: read it again under the lock.
    let now: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(fail("migrating".into()))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(now.max(from) as usize) {
        tx.execute_batch(sql)
            .map_err(fail(format!("migrating to schema version {}", i + 1)))?;
    }
    tx.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"
    ))
    .map_err(fail("migrating".into()))?;
    tx.commit().map_err(fail("migrating".into()))
}

/// An SQLite error as a [`StoreError`]: busy or locked, read-only, damaged, not a database,
/// else the error in `context`.
pub(super) fn classify(file: &str, busy_ms: u64, context: &str, e: rusqlite::Error) -> StoreError {
    let file = file.to_string();
    if let rusqlite::Error::SqliteFailure(f, msg) = &e {
        let message = msg.clone().unwrap_or_else(|| f.to_string());
        match f.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                return StoreError::Locked {
                    file,
                    waited_ms: busy_ms,
                }
            }
            ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied => {
                return StoreError::ReadOnly { file, why: message }
            }
            ErrorCode::DatabaseCorrupt => return StoreError::Corrupt { file, message },
            ErrorCode::NotADatabase => {
                return StoreError::NotADatastore {
                    file,
                    why: "not an SQLite database".into(),
                }
            }
            _ => {}
        }
    }
    StoreError::Sqlite {
        file,
        context: context.to_string(),
        source: e,
    }
}
