//! "Did you mean" suggestions.

/// The candidate closest to `input`, if any is close enough to be a likely typo.
pub fn nearest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input_lower = input.to_ascii_lowercase().replace('_', "-");
    candidates
        .into_iter()
        .map(|candidate| {
            let distance = strsim::damerau_levenshtein(&input_lower, candidate);
            (distance, candidate)
        })
        .filter(|(distance, candidate)| {
            // One edit per three characters, at least one: `nmae` → `name`, `untill` → `until`.
            *distance <= (candidate.len().max(input.len()) / 3).max(1)
        })
        .min_by_key(|(distance, candidate)| (*distance, *candidate))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn finds_typos_not_strangers() {
        let keys = [
            "name",
            "version",
            "manufacturer",
            "security-contact",
            "support-end",
        ];
        assert_eq!(nearest("nmae", keys), Some("name"));
        assert_eq!(nearest("verison", keys), Some("version"));
        assert_eq!(nearest("security_contact", keys), Some("security-contact"));
        assert_eq!(nearest("Manufacturer", keys), Some("manufacturer"));
        assert_eq!(nearest("colour", keys), None);
        assert_eq!(nearest("x", ["y"]), Some("y"));
        assert_eq!(nearest("zz", ["yyyy"]), None);
    }
}
