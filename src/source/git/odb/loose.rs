//! Whether an object directory keeps everything in packs: no loose object (a file under one
//! of the 256 fan-out directories) and no alternates file borrowing another directory's
//! objects.

use std::path::Path;

/// True when `objects` holds no loose object and names no alternates; false when it cannot be
/// told (a directory that cannot be read).
pub(crate) fn only_packs(objects: &Path) -> bool {
    if objects.join("info").join("alternates").exists() {
        return false;
    }
    let Ok(dir) = std::fs::read_dir(objects) else {
        return false;
    };
    for entry in dir {
        let Ok(entry) = entry else {
            return false;
        };
        let name = entry.file_name();
        let fan_out = name.len() == 2 && name.as_encoded_bytes().iter().all(u8::is_ascii_hexdigit);
        if !fan_out {
            continue;
        }
        match std::fs::read_dir(entry.path()) {
            Ok(mut files) => {
                if files.next().is_some() {
                    return false;
                }
            }
            // A fan-out name that is not a directory is no loose object.
            Err(_) if !entry.path().is_dir() => {}
            Err(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_objects_and_alternates_are_seen() {
        let dir = tempfile::tempdir().unwrap();
        let objects = dir.path();
        std::fs::create_dir_all(objects.join("pack")).unwrap();
        std::fs::create_dir_all(objects.join("info")).unwrap();
        std::fs::create_dir_all(objects.join("ab")).unwrap();
        assert!(
            only_packs(objects),
            "an empty fan-out directory holds nothing"
        );
        std::fs::write(objects.join("ab").join("cdef"), b"x").unwrap();
        assert!(!only_packs(objects));
        std::fs::remove_file(objects.join("ab").join("cdef")).unwrap();
        std::fs::write(objects.join("info").join("alternates"), b"/elsewhere\n").unwrap();
        assert!(!only_packs(objects));
        assert!(!only_packs(&objects.join("missing")));
    }
}
