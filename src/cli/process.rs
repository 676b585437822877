//! Process-wide settings made once, first thing, before any thread or repository exists: how
//! much of a pack libgit2 keeps mapped, and how glibc's allocator returns large buffers. Both
//! bound the resident memory of a whole-history scan; neither changes what is found.

/// Bytes of one pack window libgit2 maps, and of all its windows together. Its defaults on
/// 64-bit systems (1 GiB windows, 8 GiB in all) map a whole pack at once, and every page it
/// touches stays in the process's resident set for the rest of the run: listing the commits of
/// every ref of git/git (a 496 MB pack) left ~110 MB of it resident while keyfence read the pack
/// itself with positional reads. With these, libgit2 unmaps its least recently used windows past
/// 64 MiB.
const MWINDOW_SIZE: usize = 32 << 20;
const MWINDOW_MAPPED_LIMIT: usize = 64 << 20;

/// Allocations from this size up get their own mapping, returned to the system when freed.
/// glibc's default starts at 128 KiB and rises to the largest block freed so far (up to
/// 32 MiB): after the first large blob, blobs of every size come from the heap and the freed
/// space between long-lived sets and caches is rarely given back. A fixed threshold stops the
/// rise: every ref of git/git peaks at 354 MB instead of 411 MB, at the same CPU (0.74x the
/// floor, paired); 4 MiB keeps the mappings rare (128 KiB cost 8-15 % CPU in page faults).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 4 << 20;

/// Applies the settings above; the first call does, later ones do nothing.
pub(super) fn configure() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: libgit2 reads these globals without a lock whenever it maps a window, so
        // they must be set before any thread uses libgit2: `run` calls this first, on the main
        // thread, before any repository is opened, and `Once` makes it happen once. On failure
        // libgit2 keeps its defaults, which are correct, only larger.
        unsafe {
            let _ = git2::opts::set_mwindow_size(MWINDOW_SIZE);
            let _ = git2::opts::set_mwindow_mapped_limit(MWINDOW_MAPPED_LIMIT);
        }
        // SAFETY: as above, libgit2 reads its list of extensions without a lock when it opens
        // a repository, and none is open yet. A partial clone's `extensions.partialclone`
        // names its promisor remote; libgit2 refuses a repository with an extension it does
        // not know, so keyfence declares it: it reads such a clone as it is, and fetches
        // what it lacks itself (`source/git/promisor.rs`). On failure a partial clone made
        // by an older git is refused with libgit2's words, as before.
        unsafe {
            let _ = git2::opts::set_extensions(&["partialclone"]);
        }
        // SAFETY: `mallopt` takes two integers and only sets an allocator parameter (glibc
        // takes its own lock); a value it refuses leaves the default.
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        }
    });
}
