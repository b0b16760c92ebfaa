//! Built artifacts: SHA-256 and SHA-512 computed in one streaming pass, and the BSI TR-03183-2
//! properties (executable, archive, structured) read from the file's magic bytes.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256, Sha512};

use crate::encoding::hex;
use crate::error::SbomError;

/// One deployable file described in the SBOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub file_name: String,
    pub size: u64,
    pub sha256: String,
    pub sha512: String,
    pub executable: bool,
    pub archive: bool,
}

impl Artifact {
    /// BSI: a structured file has an internal format with metadata (executables, archives).
    pub fn structured(&self) -> bool {
        self.executable || self.archive
    }
}

pub(crate) fn is_executable(head: &[u8]) -> bool {
    head.starts_with(b"\x7fELF")
        || head.starts_with(b"MZ")
        || [
            [0xfe, 0xed, 0xfa, 0xce],
            [0xfe, 0xed, 0xfa, 0xcf],
            [0xce, 0xfa, 0xed, 0xfe],
            [0xcf, 0xfa, 0xed, 0xfe],
            [0xca, 0xfe, 0xba, 0xbe],
        ]
        .iter()
        .any(|magic| head.starts_with(magic))
        || head.starts_with(b"\0asm")
}

fn is_archive(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
        || head.starts_with(b"PK\x03\x04")
        || head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0])
        || head.starts_with(b"BZh")
        || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
        || head.starts_with(b"7z\xbc\xaf\x27\x1c")
        || head.starts_with(b"!<arch>\n")
        || head.get(257..262) == Some(b"ustar")
}

/// Hashes a file as a stream; memory stays flat whatever its size.
pub fn describe(path: &Path) -> Result<Artifact, SbomError> {
    let fail = |source| SbomError::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = fs_err::File::open(path).map_err(fail)?;
    let mut sha256 = Sha256::new();
    let mut sha512 = Sha512::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut head = Vec::with_capacity(512);
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(fail)?;
        if n == 0 {
            break;
        }
        if head.len() < 512 {
            let take = (512 - head.len()).min(n);
            head.extend_from_slice(&buffer[..take]);
        }
        sha256.update(&buffer[..n]);
        sha512.update(&buffer[..n]);
        size += n as u64;
    }
    Ok(Artifact {
        file_name: path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        size,
        sha256: hex(&sha256.finalize()),
        sha512: hex(&sha512.finalize()),
        executable: is_executable(&head),
        archive: is_archive(&head),
    })
}

/// SHA-256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_kinds() {
        let dir = tempfile::tempdir().unwrap();
        let elf = dir.path().join("app");
        fs_err::write(&elf, b"\x7fELF\x02\x01\x01rest").unwrap();
        let artifact = describe(&elf).unwrap();
        assert!(artifact.executable && !artifact.archive && artifact.structured());
        let empty = dir.path().join("notes.txt");
        fs_err::write(&empty, b"").unwrap();
        let artifact = describe(&empty).unwrap();
        assert_eq!(
            artifact.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(artifact.sha512.starts_with("cf83e1357eefb8bd"));
        assert!(!artifact.structured());
        let tgz = dir.path().join("a.tar.gz");
        fs_err::write(&tgz, [0x1f, 0x8b, 8, 0]).unwrap();
        assert!(describe(&tgz).unwrap().archive);
        assert!(describe(&dir.path().join("missing")).is_err());
    }
}
