//! Version orders of operating-system packages: Debian's (`dpkg --compare-versions`: epoch,
//! upstream, revision; `~` before everything, letters before other symbols), Alpine's (`apk
//! version -t`: numbers, a letter, `_alpha`…`_p` suffixes, `-rN`) and RPM's (`rpmvercmp` over
//! epoch, version and release).

use std::cmp::Ordering;

/// A Debian version: `[epoch:]upstream[-revision]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dpkg {
    epoch: u64,
    upstream: String,
    revision: String,
}

impl Dpkg {
    pub(crate) fn parse(text: &str) -> Option<Dpkg> {
        let text = text.trim();
        let (epoch, rest) = match text.split_once(':') {
            Some((epoch, rest)) => (epoch.parse().ok()?, rest),
            None => (0, text),
        };
        let (upstream, revision) = rest.rsplit_once('-').unwrap_or((rest, ""));
        // dpkg's rule: the upstream version starts with a digit and holds only these.
        let allowed = |c: char| c.is_ascii_alphanumeric() || ".+~-:".contains(c);
        if !upstream.starts_with(|c: char| c.is_ascii_digit())
            || !upstream.chars().all(allowed)
            || !revision
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".+~".contains(c))
        {
            return None;
        }
        Some(Dpkg {
            epoch,
            upstream: upstream.to_owned(),
            revision: revision.to_owned(),
        })
    }

    pub(crate) fn compare(&self, other: &Dpkg) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| dpkg_part(&self.upstream, &other.upstream))
            .then_with(|| dpkg_part(&self.revision, &other.revision))
    }
}

/// dpkg's weight of a non-digit character: `~` first, then the end, letters, other symbols.
fn dpkg_order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`: alternating non-digit and digit runs.
fn dpkg_part(left: &str, right: &str) -> Ordering {
    let (a, b) = (left.as_bytes(), right.as_bytes());
    // Positions in `a` and `b`.
    let (mut at_a, mut at_b) = (0, 0);
    while at_a < a.len() || at_b < b.len() {
        while (at_a < a.len() && !a[at_a].is_ascii_digit())
            || (at_b < b.len() && !b[at_b].is_ascii_digit())
        {
            let (x, y) = (
                dpkg_order(a.get(at_a).copied()),
                dpkg_order(b.get(at_b).copied()),
            );
            if x != y {
                return x.cmp(&y);
            }
            at_a += 1;
            at_b += 1;
        }
        while a.get(at_a) == Some(&b'0') {
            at_a += 1;
        }
        while b.get(at_b) == Some(&b'0') {
            at_b += 1;
        }
        let mut first_diff = Ordering::Equal;
        while at_a < a.len()
            && a[at_a].is_ascii_digit()
            && at_b < b.len()
            && b[at_b].is_ascii_digit()
        {
            if first_diff == Ordering::Equal {
                first_diff = a[at_a].cmp(&b[at_b]);
            }
            at_a += 1;
            at_b += 1;
        }
        if at_a < a.len() && a[at_a].is_ascii_digit() {
            return Ordering::Greater;
        }
        if at_b < b.len() && b[at_b].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// The token kinds of an apk version, in apk-tools' order (a later kind where the other version
/// has an earlier one makes the version lower).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ApkToken {
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNumber,
    Revision,
    End,
}

/// An Alpine package version as apk-tools compares it: a list of tokens and their values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Apk {
    tokens: Vec<(ApkToken, i128)>,
}

const APK_PRE: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const APK_POST: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

impl Apk {
    pub(crate) fn parse(text: &str) -> Option<Apk> {
        let bytes = text.trim().as_bytes();
        let mut tokens = Vec::new();
        let mut kind = ApkToken::Digit;
        let mut at = 0;
        loop {
            let digits = |at: usize| {
                let end = bytes[at..]
                    .iter()
                    .position(|b| !b.is_ascii_digit())
                    .map_or(bytes.len(), |p| at + p);
                let value = std::str::from_utf8(&bytes[at..end])
                    .ok()
                    .filter(|d| !d.is_empty())
                    .map_or(Some(0), |d| d.parse::<i128>().ok());
                (value, end)
            };
            let value;
            match kind {
                ApkToken::End => {
                    tokens.push((ApkToken::End, 0));
                    break;
                }
                ApkToken::DigitOrZero if bytes.get(at) == Some(&b'0') => {
                    // Leading zeros read as a fraction: more zeros, lower.
                    let zeros = bytes[at..].iter().take_while(|&&b| b == b'0').count();
                    tokens.push((kind, -i128::try_from(zeros).ok()?));
                    at += zeros;
                    kind = ApkToken::Digit;
                    if !bytes.get(at).is_some_and(u8::is_ascii_digit) {
                        kind = next_apk_token(ApkToken::Digit, bytes, &mut at)?;
                    }
                    continue;
                }
                ApkToken::DigitOrZero
                | ApkToken::Digit
                | ApkToken::SuffixNumber
                | ApkToken::Revision => {
                    let (v, end) = digits(at);
                    if end == at && kind != ApkToken::SuffixNumber {
                        return None;
                    }
                    value = v?;
                    at = end;
                }
                ApkToken::Letter => {
                    value = i128::from(bytes[at]);
                    at += 1;
                }
                ApkToken::Suffix => {
                    let rest = &bytes[at..];
                    let (rank, word) = APK_PRE
                        .iter()
                        .enumerate()
                        .map(|(i, w)| (i128::try_from(i).unwrap_or(0) - 4, *w))
                        .chain(
                            APK_POST
                                .iter()
                                .enumerate()
                                .map(|(i, w)| (i128::try_from(i).unwrap_or(0) + 1, *w)),
                        )
                        .find(|(_, w)| rest.starts_with(w.as_bytes()))?;
                    value = rank;
                    at += word.len();
                }
            }
            tokens.push((kind, value));
            kind = next_apk_token(kind, bytes, &mut at)?;
        }
        Some(Apk { tokens })
    }

    pub(crate) fn compare(&self, other: &Apk) -> Ordering {
        for (&(ta, va), &(tb, vb)) in self.tokens.iter().zip(&other.tokens) {
            if ta != tb {
                // The longer version is higher, unless what it goes on with is a pre-release.
                if ta == ApkToken::Suffix && va < 0 {
                    return Ordering::Less;
                }
                if tb == ApkToken::Suffix && vb < 0 {
                    return Ordering::Greater;
                }
                return tb.cmp(&ta);
            }
            if ta == ApkToken::End {
                return Ordering::Equal;
            }
            if va != vb {
                return va.cmp(&vb);
            }
        }
        Ordering::Equal
    }
}

/// The kind of the token at `at`, after a token of kind `after` (moving past a separator).
fn next_apk_token(after: ApkToken, bytes: &[u8], at: &mut usize) -> Option<ApkToken> {
    let Some(&c) = bytes.get(*at) else {
        return Some(ApkToken::End);
    };
    if matches!(after, ApkToken::Digit | ApkToken::DigitOrZero) && c.is_ascii_lowercase() {
        return Some(ApkToken::Letter);
    }
    if after == ApkToken::Suffix && c.is_ascii_digit() {
        return Some(ApkToken::SuffixNumber);
    }
    *at += 1;
    match c {
        b'.' if matches!(after, ApkToken::Digit | ApkToken::DigitOrZero) => {
            Some(ApkToken::DigitOrZero)
        }
        b'_' if after < ApkToken::Revision => Some(ApkToken::Suffix),
        b'-' if bytes.get(*at) == Some(&b'r') && after < ApkToken::Revision => {
            *at += 1;
            Some(ApkToken::Revision)
        }
        _ => None,
    }
}

/// An RPM `[epoch:]version[-release]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rpm {
    epoch: u64,
    version: String,
    release: Option<String>,
}

impl Rpm {
    pub(crate) fn parse(text: &str) -> Option<Rpm> {
        let text = text.trim();
        let (epoch, rest) = match text.split_once(':') {
            Some((epoch, rest)) => (epoch.parse().ok()?, rest),
            None => (0, text),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((v, r)) => (v, Some(r.to_owned())),
            None => (rest, None),
        };
        if version.is_empty() || version.contains(char::is_whitespace) {
            return None;
        }
        Some(Rpm {
            epoch,
            version: version.to_owned(),
            release,
        })
    }

    pub(crate) fn compare(&self, other: &Rpm) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                // A bound without a release matches every release of its version.
                _ => Ordering::Equal,
            })
    }
}

/// rpm's `rpmvercmp`: alphanumeric runs (numbers by value, above letters), separators
/// ignored, `~` before everything (even the end), `^` after the end but before anything else.
fn rpmvercmp(left: &str, right: &str) -> Ordering {
    if left == right {
        return Ordering::Equal;
    }
    let (a, b) = (left.as_bytes(), right.as_bytes());
    // Positions in `a` and `b`.
    let (mut at_a, mut at_b) = (0, 0);
    let separator = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    while at_a < a.len() || at_b < b.len() {
        while at_a < a.len() && separator(a[at_a]) {
            at_a += 1;
        }
        while at_b < b.len() && separator(b[at_b]) {
            at_b += 1;
        }
        let (x, y) = (a.get(at_a).copied(), b.get(at_b).copied());
        if x == Some(b'~') || y == Some(b'~') {
            if x != Some(b'~') {
                return Ordering::Greater;
            }
            if y != Some(b'~') {
                return Ordering::Less;
            }
            at_a += 1;
            at_b += 1;
            continue;
        }
        if x == Some(b'^') || y == Some(b'^') {
            return match (x, y) {
                (None, _) => Ordering::Less,
                (_, None) => Ordering::Greater,
                (Some(b'^'), Some(b'^')) => {
                    at_a += 1;
                    at_b += 1;
                    continue;
                }
                (Some(b'^'), _) => Ordering::Less,
                _ => Ordering::Greater,
            };
        }
        let (Some(x), Some(_)) = (x, y) else {
            break;
        };
        let numeric = x.is_ascii_digit();
        let run = |s: &[u8], from: usize| {
            s[from..]
                .iter()
                .position(|c| {
                    if numeric {
                        !c.is_ascii_digit()
                    } else {
                        !c.is_ascii_alphabetic()
                    }
                })
                .map_or(s.len(), |p| from + p)
        };
        let (end_a, end_b) = (run(a, at_a), run(b, at_b));
        if end_b == at_b {
            // Different kinds of run: a number is newer than letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut run_a, mut run_b) = (&a[at_a..end_a], &b[at_b..end_b]);
        let order = if numeric {
            while run_a.first() == Some(&b'0') {
                run_a = &run_a[1..];
            }
            while run_b.first() == Some(&b'0') {
                run_b = &run_b[1..];
            }
            run_a.len().cmp(&run_b.len()).then_with(|| run_a.cmp(run_b))
        } else {
            run_a.cmp(run_b)
        };
        if order != Ordering::Equal {
            return order;
        }
        at_a = end_a;
        at_b = end_b;
    }
    match (at_a >= a.len(), at_b >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};

    fn dpkg(a: &str, b: &str) -> Ordering {
        Dpkg::parse(a).unwrap().compare(&Dpkg::parse(b).unwrap())
    }

    #[test]
    fn debian_versions_as_dpkg_compares_them() {
        // From Debian Policy §5.6.12 and dpkg's own test suite (t-version.c).
        assert_eq!(dpkg("1.0~rc1", "1.0"), Less, "a tilde sorts before the end");
        assert_eq!(dpkg("1.0~~", "1.0~~a"), Less);
        assert_eq!(dpkg("1.0~~a", "1.0~"), Less);
        assert_eq!(dpkg("1.0~", "1.0"), Less);
        assert_eq!(dpkg("1.0", "1.0a"), Less, "the end before a letter");
        assert_eq!(dpkg("1.0a", "1.0+"), Less, "a letter before other symbols");
        assert_eq!(dpkg("1:0.1", "2.0"), Greater, "the epoch first");
        assert_eq!(dpkg("0:1.0", "1.0"), Equal);
        assert_eq!(dpkg("1.0", "1.0-0"), Equal, "no revision is revision 0");
        assert_eq!(dpkg("1.10", "1.9"), Greater);
        assert_eq!(dpkg("1.002", "1.2"), Equal, "leading zeros");
        assert_eq!(dpkg("3.0.11-1~deb12u2", "3.0.11-1"), Less);
        assert_eq!(dpkg("3.0.11-1~deb12u2", "3.0.11-1~deb12u1"), Greater);
        assert_eq!(dpkg("2.36-9+deb12u4", "2.36-9+deb12u10"), Less);
        assert_eq!(
            dpkg("1.2.3-1-2", "1.2.3-1-1"),
            Greater,
            "revision after the last hyphen"
        );
        assert_eq!(dpkg("7.88.1-10+deb12u5", "7.88.1-10+deb12u5"), Equal);
        assert!(
            Dpkg::parse("a1.0").is_none(),
            "upstream starts with a digit"
        );
        assert!(Dpkg::parse("x:1.0").is_none());
        assert!(Dpkg::parse("1.0 2").is_none());
    }

    fn apk(a: &str, b: &str) -> Ordering {
        Apk::parse(a)
            .unwrap_or_else(|| panic!("{a}"))
            .compare(&Apk::parse(b).unwrap_or_else(|| panic!("{b}")))
    }

    #[test]
    fn alpine_versions_as_apk_compares_them() {
        // From apk-tools' test/version.data.
        assert_eq!(apk("1.2.3", "1.2.3-r1"), Less);
        assert_eq!(apk("1.2.3-r1", "1.2.3-r10"), Less);
        assert_eq!(apk("1.2_rc1", "1.2"), Less, "a pre-release suffix");
        assert_eq!(apk("1.2_alpha", "1.2_beta"), Less);
        assert_eq!(apk("1.2_beta2", "1.2_beta10"), Less);
        assert_eq!(apk("1.2_p1", "1.2"), Greater, "a patch suffix");
        assert_eq!(apk("1.2_git20240101", "1.2"), Greater);
        assert_eq!(apk("1.2a", "1.2"), Greater, "a letter");
        assert_eq!(apk("1.2a", "1.2b"), Less);
        assert_eq!(apk("1.2.3", "1.2a"), Greater);
        assert_eq!(apk("1.2", "1.2.0"), Less, "more numbers, higher");
        assert_eq!(apk("1.01", "1.1"), Less, "leading zeros read as a fraction");
        assert_eq!(apk("1.001", "1.01"), Less);
        assert_eq!(apk("1.10", "1.9"), Greater);
        assert_eq!(apk("3.0.11-r0", "3.0.12-r0"), Less);
        assert_eq!(apk("1.36.1-r15", "1.36.1-r15"), Equal);
        assert_eq!(apk("2.0_rc1-r1", "2.0-r0"), Less);
        assert!(Apk::parse("1.2_foo").is_none());
        assert!(Apk::parse("abc").is_none());
        assert!(Apk::parse("1.2-x1").is_none());
    }

    fn rpm(a: &str, b: &str) -> Ordering {
        Rpm::parse(a).unwrap().compare(&Rpm::parse(b).unwrap())
    }

    #[test]
    fn rpm_versions_as_rpmvercmp_compares_them() {
        // From rpm's tests/rpmvercmp.at.
        assert_eq!(rpmvercmp("1.0", "1.0"), Equal);
        assert_eq!(rpmvercmp("1.0", "2.0"), Less);
        assert_eq!(rpmvercmp("2.0.1", "2.0"), Greater);
        assert_eq!(rpmvercmp("2.0.1a", "2.0.1"), Greater);
        assert_eq!(rpmvercmp("5.5p1", "5.5p10"), Less);
        assert_eq!(rpmvercmp("10xyz", "10.1xyz"), Less);
        assert_eq!(rpmvercmp("xyz10", "xyz10.1"), Less);
        assert_eq!(rpmvercmp("1.0a", "1.0.a"), Equal, "separators do not count");
        assert_eq!(rpmvercmp("2a", "2.0"), Less, "letters before numbers");
        assert_eq!(rpmvercmp("1.0~rc1", "1.0"), Less);
        assert_eq!(rpmvercmp("1.0~rc1", "1.0~rc2"), Less);
        assert_eq!(rpmvercmp("1.0~rc1~git123", "1.0~rc1"), Less);
        assert_eq!(rpmvercmp("1.0^", "1.0"), Greater, "a caret after the end");
        assert_eq!(rpmvercmp("1.0^git1", "1.0.1"), Less);
        assert_eq!(rpmvercmp("1.0^git1", "1.0^git2"), Less);
        assert_eq!(rpmvercmp("001", "1"), Equal);
        assert_eq!(rpm("1:1.0-1", "2.0-1"), Greater, "the epoch first");
        assert_eq!(rpm("3.0.7-24.el9", "3.0.7-25.el9"), Less);
        assert_eq!(
            rpm("3.0.7-24.el9", "3.0.7"),
            Equal,
            "a bound without release"
        );
    }
}
