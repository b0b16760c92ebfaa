//! Maven's version order (`org.apache.maven.artifact.versioning.ComparableVersion`): the
//! version split into numbers and qualifiers at `.`, `-` and digit/letter changes, a `-` (or a
//! change) starting a sub-list; trailing zeros and release qualifiers dropped; qualifiers ordered
//! `alpha` < `beta` < `milestone` < `rc` = `cr` < `snapshot` < release (`""`, `ga`, `final`,
//! `release`) < `sp` < any other (by text); a number above any qualifier.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Digits without leading zeros (so that any length compares by length, then text).
    Int(String),
    /// A qualifier, already in its comparable form.
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
/// The comparable form of the release qualifier `""`.
const RELEASE: &str = "5";

fn comparable(qualifier: &str) -> String {
    QUALIFIERS
        .iter()
        .position(|q| *q == qualifier)
        .map_or_else(|| format!("7-{qualifier}"), |i| i.to_string())
}

fn string_item(text: &str, followed_by_digit: bool) -> Item {
    let text = if followed_by_digit && text.len() == 1 {
        match text {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            other => other,
        }
    } else {
        text
    };
    let text = match text {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    Item::Str(comparable(text))
}

fn parse_item(digits: bool, text: &str) -> Item {
    if digits {
        let trimmed = text.trim_start_matches('0');
        Item::Int(trimmed.to_owned())
    } else {
        string_item(text, false)
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(digits) => digits.is_empty(),
            Item::Str(q) => q == RELEASE,
            Item::List(items) => items.is_empty(),
        }
    }

    /// Compared with nothing (the other version ended).
    fn against_none(&self) -> Ordering {
        match self {
            Item::Int(digits) => {
                if digits.is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Str(q) => q.as_str().cmp(RELEASE),
            Item::List(items) => items.first().map_or(Ordering::Equal, Item::against_none),
        }
    }

    fn compare(&self, other: &Item) -> Ordering {
        match (self, other) {
            (Item::Int(a), Item::Int(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Item::Int(_), _) | (Item::List(_), Item::Str(_)) => Ordering::Greater,
            (Item::Str(_), Item::Int(_) | Item::List(_)) | (Item::List(_), Item::Int(_)) => {
                Ordering::Less
            }
            (Item::Str(a), Item::Str(b)) => a.cmp(b),
            (Item::List(a), Item::List(b)) => compare_lists(a, b),
        }
    }
}

fn compare_lists(a: &[Item], b: &[Item]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let order = match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) => x.compare(y),
            (Some(x), None) => x.against_none(),
            (None, Some(y)) => y.against_none().reverse(),
            (None, None) => Ordering::Equal,
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

/// Drops null items (0, release, empty list) from the end of a list, looking past sub-lists,
/// as Maven's `ListItem.normalize`.
fn normalize(items: &mut Vec<Item>) {
    let mut i = items.len();
    while i > 0 {
        i -= 1;
        if items[i].is_null() {
            items.remove(i);
        } else if !matches!(items[i], Item::List(_)) {
            break;
        }
    }
}

/// A Maven version as `ComparableVersion` orders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Maven {
    items: Vec<Item>,
}

impl Maven {
    pub(crate) fn parse(text: &str) -> Option<Maven> {
        let text = text.trim().to_ascii_lowercase();
        // A range (`[1.0,2.0)`) or a property left unresolved is not a version.
        if text.is_empty() || text.contains(|c: char| "[](),${} ".contains(c)) {
            return None;
        }
        // The open lists, innermost last; each is attached to its parent when it closes.
        let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
        let mut digits = false;
        let mut start = 0;
        let bytes = text.as_bytes();
        let open = |stack: &mut Vec<Vec<Item>>| stack.push(Vec::new());
        for (i, &c) in bytes.iter().enumerate() {
            let top = stack.len() - 1;
            if c == b'.' || c == b'-' {
                if i == start {
                    stack[top].push(Item::Int(String::new()));
                } else {
                    stack[top].push(parse_item(digits, &text[start..i]));
                }
                start = i + 1;
                if c == b'-' {
                    open(&mut stack);
                }
            } else if c.is_ascii_digit() {
                if !digits && i > start {
                    stack[top].push(string_item(&text[start..i], true));
                    start = i;
                    open(&mut stack);
                }
                digits = true;
            } else {
                if digits && i > start {
                    stack[top].push(parse_item(true, &text[start..i]));
                    start = i;
                    open(&mut stack);
                }
                digits = false;
            }
        }
        if text.len() > start {
            // `1.0.0.X1` < `1.0.0-X2`: a final `.X` reads as `-X`.
            if !digits && !stack[stack.len() - 1].is_empty() {
                open(&mut stack);
            }
            let top = stack.len() - 1;
            stack[top].push(parse_item(digits, &text[start..]));
        }
        while stack.len() > 1 {
            let mut inner = stack.pop().unwrap_or_default();
            normalize(&mut inner);
            let top = stack.len() - 1;
            stack[top].push(Item::List(inner));
        }
        let mut items = stack.pop().unwrap_or_default();
        normalize(&mut items);
        Some(Maven { items })
    }

    pub(crate) fn compare(&self, other: &Maven) -> Ordering {
        compare_lists(&self.items, &other.items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};

    fn c(a: &str, b: &str) -> Ordering {
        Maven::parse(a).unwrap().compare(&Maven::parse(b).unwrap())
    }

    #[test]
    fn maven_versions_as_comparable_version_orders_them() {
        // From Maven's ComparableVersionTest (VERSIONS_QUALIFIER, VERSIONS_NUMBER, testVersionsEqual).
        let ordered = [
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
        ];
        for pair in ordered.windows(2) {
            assert_eq!(c(pair[0], pair[1]), Less, "{} < {}", pair[0], pair[1]);
        }
        let numbers = [
            "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
            "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11",
            "11", "11.a", "11b", "11c", "11m",
        ];
        for pair in numbers.windows(2) {
            assert_eq!(c(pair[0], pair[1]), Less, "{} < {}", pair[0], pair[1]);
        }
        for (a, b) in [
            ("1", "1.0.0"),
            ("1", "1-0"),
            ("1.0", "1.0-0"),
            ("1a", "1-a"),
            ("1a", "1.0-a"),
            ("1x", "1-x"),
            ("1-ga", "1"),
            ("1-final", "1"),
            ("1-release", "1"),
            ("1cr", "1rc"),
            ("1a1", "1-alpha-1"),
            ("1b2", "1-beta-2"),
            ("1m3", "1-milestone-3"),
            ("1X", "1x"),
            ("1A", "1a"),
            ("1.0.0-RELEASE", "1.0"),
        ] {
            assert_eq!(c(a, b), Equal, "{a} = {b}");
        }
        assert_eq!(c("2.17.1", "2.15.0"), Greater);
        assert_eq!(c("5.3.18.RELEASE", "5.3.18"), Equal);
        assert_eq!(c("31.1-jre", "31.1-android"), Greater, "qualifiers by text");
        assert_eq!(c("2.12.7.1", "2.12.7"), Greater);
        assert_eq!(
            c(
                "123456789012345678901234567890",
                "123456789012345678901234567891"
            ),
            Less,
            "numbers longer than any integer"
        );
        assert!(Maven::parse("[1.0,2.0)").is_none());
        assert!(Maven::parse("${project.version}").is_none());
    }
}
