//! SHA-256 of a stream, in fixed-size blocks: memory stays flat whatever the size.

use std::io::Read;

/// The number of bytes read from `reader` and their SHA-256.
pub fn sha256_reader(mut reader: impl Read) -> std::io::Result<(u64, [u8; 32])> {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        size += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((size, hasher.finalize().into()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn digest_of_a_known_text() {
        let (size, digest) = super::sha256_reader(&b"abc"[..]).unwrap();
        assert_eq!(size, 3);
        assert_eq!(
            crate::encoding::hex(&digest),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
