//! What kind of archive a blob is, from its first bytes (never from its name): a check of a few
//! bytes at fixed offsets, cheap enough to run on every blob before the binary check.

/// An archive or compressed stream keyfence can see into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// zip, and what is built on it: jar, war, ear, whl, apk, nupkg, Terraform plans.
    Zip,
    /// A POSIX (ustar) or GNU tar archive.
    Tar,
    /// A gzip stream (one or more members); a `.tar.gz` is a tar inside one.
    Gzip,
    /// A bzip2 stream.
    Bzip2,
    /// An xz stream.
    Xz,
}

impl Kind {
    /// How messages name it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Zip => "zip",
            Kind::Tar => "tar",
            Kind::Gzip => "gzip",
            Kind::Bzip2 => "bzip2",
            Kind::Xz => "xz",
        }
    }
}

/// Bytes [`sniff`] needs to recognise every kind (a tar header's magic sits at 257).
pub(crate) const SNIFF_LEN: usize = 512;

/// Offset of the magic in a tar header.
const TAR_MAGIC_AT: usize = 257;

/// The kind of archive `head` (the first bytes of a blob, at least [`SNIFF_LEN`] when the blob
/// has them) starts, if any.
pub(crate) fn sniff(head: &[u8]) -> Option<Kind> {
    match head {
        // A local file header, or the end record of an empty archive.
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => Some(Kind::Zip),
        // Deflate is the only method gzip defines.
        [0x1f, 0x8b, 8, ..] => Some(Kind::Gzip),
        // "BZh", the block size, then the first block's magic (the digits of pi) or the
        // end-of-stream magic of an empty stream (the square root of pi).
        [b'B', b'Z', b'h', b'1'..=b'9', rest @ ..]
            if rest.starts_with(&[0x31, 0x41, 0x59, 0x26, 0x53, 0x59])
                || rest.starts_with(&[0x17, 0x72, 0x45, 0x38, 0x50, 0x90]) =>
        {
            Some(Kind::Bzip2)
        }
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Some(Kind::Xz),
        _ if is_tar(head) => Some(Kind::Tar),
        _ => None,
    }
}

/// True when `head` starts with a ustar or GNU tar header whose checksum is right.
pub(crate) fn is_tar(head: &[u8]) -> bool {
    let Some(header) = head.get(..SNIFF_LEN) else {
        return false;
    };
    let magic = &header[TAR_MAGIC_AT..TAR_MAGIC_AT + 6];
    if magic != b"ustar\0" && magic != b"ustar " {
        return false;
    }
    // The checksum field (148..156) is octal, counted as spaces in the sum.
    let field = &header[148..156];
    let digits = field
        .iter()
        .skip_while(|b| **b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(*b));
    let mut declared: u32 = 0;
    for d in digits {
        declared = declared
            .saturating_mul(8)
            .saturating_add(u32::from(d - b'0'));
    }
    let sum: u32 = header
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(b)
            }
        })
        .sum();
    sum == declared
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_not_names() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Some(Kind::Zip));
        assert_eq!(sniff(b"PK\x05\x06"), Some(Kind::Zip));
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Some(Kind::Gzip));
        assert_eq!(sniff(b"BZh91AY&SYxx"), Some(Kind::Bzip2));
        assert_eq!(sniff(b"BZh9 is text"), None);
        assert_eq!(sniff(&[0xfd, b'7', b'z', b'X', b'Z', 0, 0]), Some(Kind::Xz));
        assert_eq!(sniff(b"PK is just text"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(&[0u8; 600]), None);
    }

    #[test]
    fn tar_needs_magic_and_checksum() {
        let mut header = [0u8; 512];
        header[..5].copy_from_slice(b"a.txt");
        header[257..263].copy_from_slice(b"ustar\0");
        let sum: u32 = header.iter().map(|&b| u32::from(b)).sum::<u32>() + 8 * u32::from(b' ');
        header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        assert_eq!(sniff(&header), Some(Kind::Tar));
        header[0] = b'b';
        assert_eq!(sniff(&header), None);
    }
}
