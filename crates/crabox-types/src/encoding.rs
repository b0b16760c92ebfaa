//! Small encodings the formats need: hex, base64 (SRI and go.sum hashes), and line numbers.

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

/// Decodes standard base64 (with or without padding); `None` on any other character.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.trim_end_matches('=').bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).expect("masked to a byte"));
        }
    }
    Some(out)
}

/// Byte offsets of line starts, for turning offsets into 1-based line numbers.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> u32 {
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        u32::try_from(line).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_hex() {
        assert_eq!(base64_decode("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(base64_decode("aGVsbG8"), Some(b"hello".to_vec()));
        assert_eq!(base64_decode("a!"), None);
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }

    #[test]
    fn lines() {
        let text = "a\nbc\n\nd";
        let index = LineIndex::new(text);
        assert_eq!(
            [0, 1, 2, 3, 4, 5, 6].map(|o| index.line(o)),
            [1, 1, 2, 2, 2, 3, 4]
        );
    }
}

/// `text` without a leading UTF-8 byte order mark (`EF BB BF`), which editors on Windows write
/// and every format crabox reads must accept.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// [`strip_bom`] on an owned string, without copying when there is none.
pub fn without_bom(text: String) -> String {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

/// How deep YAML may nest before it is refused unread: YAML parsers take time quadratic in the
/// depth of flow collections (`[[[[…`), and no lockfile or workflow nests more than a handful.
pub const YAML_MAX_DEPTH: usize = 128;

/// Where YAML text nests deeper than `max`, found in one linear pass before any parser sees it:
/// the 1-based line and the depth reached. Flow collections (`[`, `{`) outside quoted scalars
/// and comments count one level each, and so does each `- ` or `? ` opening a line's nested block
/// collections. A bracket inside a plain scalar may be counted: the limit is far above what real
/// files reach, and a false refusal names the line.
pub fn yaml_too_deep(text: &str, max: usize) -> Option<(u32, usize)> {
    let mut depth = 0usize;
    let mut line = 1u32;
    let mut quote: Option<u8> = None;
    let mut at_token_start = true;
    let mut line_start = true;
    let mut block = 0usize;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' {
            line += 1;
            line_start = true;
            block = 0;
            at_token_start = true;
            // A double-quoted scalar may span lines; a single-quoted one too.
            i += 1;
            continue;
        }
        match quote {
            Some(b'"') => {
                if b == b'\\' {
                    i += 2;
                    continue;
                }
                if b == b'"' {
                    quote = None;
                }
            }
            Some(_) => {
                if b == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    quote = None;
                }
            }
            None => {
                if line_start
                    && (b == b'-' || b == b'?')
                    && bytes.get(i + 1).is_some_and(|c| *c == b' ')
                {
                    block += 1;
                    if depth + block > max {
                        return Some((line, depth + block));
                    }
                    i += 2;
                    continue;
                }
                if b != b' ' && b != b'\t' {
                    line_start = false;
                }
                match b {
                    b'#' if at_token_start => {
                        while i < bytes.len() && bytes[i] != b'\n' {
                            i += 1;
                        }
                        continue;
                    }
                    b'"' | b'\'' if at_token_start => quote = Some(b),
                    b'[' | b'{' => {
                        depth += 1;
                        if depth + block > max {
                            return Some((line, depth + block));
                        }
                    }
                    b']' | b'}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
                at_token_start = matches!(b, b' ' | b'\t' | b'[' | b'{' | b',' | b':');
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod yaml_depth_tests {
    use super::*;

    #[test]
    fn deep_flow_and_block_nesting_is_found_and_normal_yaml_is_not() {
        let deep = format!("a: {}1{}\n", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(yaml_too_deep(&deep, YAML_MAX_DEPTH), Some((1, 129)));
        let block = format!("x:\n  {}y\n", "- ".repeat(500));
        assert_eq!(yaml_too_deep(&block, YAML_MAX_DEPTH), Some((2, 129)));
        let normal = "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a: {specifier: ^1, version: 1.0.0}\n# [[[[ in a comment\nb: \"[[[[ quoted\"\nc: '[[[['\nd:\n  - - x\n";
        assert_eq!(yaml_too_deep(normal, 4), None);
    }
}
