//! The store's schema handling: a store of an older version is migrated forward with its data.

use super::schema::{APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION};
use super::*;

#[test]
fn an_older_store_is_migrated_forward_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(MIGRATIONS[0]).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;
         INSERT INTO repos (name, kind) VALUES ('/r', 'git');
         INSERT INTO triage (fingerprint, status, by, at)
             VALUES ('fp', 'revoked', 'me', '2026-01-01T00:00:00Z');"
    ))
    .unwrap();
    drop(conn);
    let store = Store::open(&path, 1000).unwrap();
    let version: i64 = store
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let verifications: i64 = store
        .conn
        .query_row("SELECT count(*) FROM verifications", [], |r| r.get(0))
        .unwrap();
    assert_eq!(verifications, 0);
    let triage = store.triage_states().unwrap();
    assert_eq!(triage["fp"].status, crate::report::TriageStatus::Revoked);
    // Opening again changes nothing.
    drop(store);
    assert!(Store::open(&path, 1000).is_ok());
}

#[test]
fn a_store_of_a_newer_schema_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    drop(Store::open(&path, 1000).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA user_version = 7").unwrap();
    drop(conn);
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path, 1000).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 7, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("new.db"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}
