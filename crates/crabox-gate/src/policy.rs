//! The policy of `[gate]`: open vulnerabilities at or above a severity, licences (SPDX
//! expressions evaluated with `OR`, `AND` and `WITH`), banned packages, and where packages may
//! come from. Each violation is a failing check at the lockfile line.

use crabox_config::file::BanEntry;
use crabox_types::Severity;

use crabox_types::codes;

use crabox_types::component::{FindingKind, Source};

use crate::{Advisory, Category, Check, Outcome, Package};

/// What `[gate]` allows.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Open vulnerabilities at or above it fail; `Severity::None`: none does.
    pub fail_on: Option<Severity>,
    pub allow: Vec<String>,
    pub deny: Vec<String>,
    pub bans: Vec<BanEntry>,
    /// Registries allowed besides the default ones.
    pub registries: Vec<String>,
    /// Git URL prefixes allowed.
    pub git_sources: Vec<String>,
}

/// The licence identifier a requirement names (`MIT`, `GPL-2.0`, `LicenseRef-…`).
fn license_name(req: &spdx::LicenseReq) -> String {
    req.license.to_string().trim_end_matches('+').to_owned()
}

/// Why an SPDX expression is not acceptable, or `None` when it is.
pub fn license_problem(expression: &str, allow: &[String], deny: &[String]) -> Option<String> {
    let parsed = match spdx::Expression::parse_mode(expression, spdx::ParseMode::LAX) {
        Ok(parsed) => parsed,
        Err(err) => return Some(format!("`{expression}` is not an SPDX expression: {err}")),
    };
    let denied = |req: &spdx::LicenseReq| deny.iter().any(|d| *d == license_name(req));
    let allowed =
        |req: &spdx::LicenseReq| allow.is_empty() || allow.iter().any(|a| *a == license_name(req));
    if parsed.evaluate(|req| !denied(req) && allowed(req)) {
        return None;
    }
    let mut names: Vec<String> = parsed
        .requirements()
        .map(|r| license_name(&r.req))
        .collect();
    names.sort();
    names.dedup();
    let denied_names: Vec<&String> = names.iter().filter(|n| deny.contains(n)).collect();
    Some(if denied_names.is_empty() {
        format!("`{expression}` needs a licence outside `[gate] licenses.allow`")
    } else {
        format!(
            "`{expression}` cannot be used without {} (in `[gate] licenses.deny`)",
            denied_names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn ban_matches(ban: &BanEntry, package: &Package<'_>) -> bool {
    if ban.name != package.name {
        return false;
    }
    if ban
        .ecosystem
        .as_ref()
        .is_some_and(|e| !e.eq_ignore_ascii_case(package.ecosystem.osv_name()))
    {
        return false;
    }
    match &ban.versions {
        None => true,
        Some(range) => {
            let Ok(req) = semver::VersionReq::parse(range) else {
                return false;
            };
            let version = package.version.trim_start_matches('v');
            semver::Version::parse(version).is_ok_and(|v| req.matches(&v))
        }
    }
}

/// The policy's checks (one block per rule): one failing check per violation, and one passing check per rule that
/// found none (so a report says what was checked).
#[allow(clippy::too_many_lines)]
pub fn check(packages: &[Package<'_>], advisories: &[Advisory], policy: &Policy) -> Vec<Check> {
    let mut checks = Vec::new();
    let here = |p: &Package<'_>| format!("{}: {} {}", p.file, p.name, p.version);

    // Vulnerabilities.
    let threshold = policy.fail_on.filter(|s| *s != Severity::None);
    let mut failing = 0;
    for a in advisories
        .iter()
        .filter(|a| a.open && a.kind == FindingKind::Vulnerability)
    {
        let severity = a.severity.unwrap_or(Severity::High);
        let over = threshold.is_some_and(|t| severity >= t);
        failing += usize::from(over);
        checks.push(
            Check::new(
                Category::Policy,
                codes::GATE_VULNERABILITY,
                format!("{}: {} {} {}", a.file, a.package, a.version, a.id),
                if over { Outcome::Fail } else { Outcome::Warn },
                // The name says which advisory and package; the message says why it counts.
                format!(
                    "severity {}{}",
                    a.severity
                        .map_or("unknown, counted as high", Severity::as_str),
                    match threshold {
                        Some(t) if over => format!(", at or above `fail-on = \"{}\"`", t.as_str()),
                        Some(t) => format!(", below `fail-on = \"{}\"`", t.as_str()),
                        None => ", and `fail-on = \"none\"`".to_owned(),
                    }
                ),
            )
            .at(&a.file, a.line),
        );
    }
    if failing == 0 {
        checks.push(Check::new(
            Category::Policy,
            codes::GATE_VULNERABILITY,
            "vulnerabilities",
            Outcome::Pass,
            match threshold {
                Some(t) => format!("no open vulnerability at or above {}", t.as_str()),
                None => "`fail-on = \"none\"`: vulnerabilities do not fail the gate".to_owned(),
            },
        ));
    }

    // Licences.
    if policy.allow.is_empty() && policy.deny.is_empty() {
        checks.push(Check::new(
            Category::Policy,
            codes::GATE_LICENSE_DENIED,
            "licences",
            Outcome::NotApplicable,
            "no licence policy: `[gate] licenses.allow` and `licenses.deny` are empty",
        ));
    } else {
        let mut denied = 0;
        let mut unknown = Vec::new();
        for p in packages {
            if p.licenses.is_empty() {
                if !matches!(p.source, Source::Path(_)) {
                    unknown.push(p);
                }
                continue;
            }
            for expression in &p.licenses {
                if let Some(problem) = license_problem(expression, &policy.allow, &policy.deny) {
                    denied += 1;
                    checks.push(
                        Check::new(
                            Category::Policy,
                            codes::GATE_LICENSE_DENIED,
                            here(p),
                            Outcome::Fail,
                            format!("{} {}: {problem}", p.name, p.version),
                        )
                        .at(p.file.as_ref(), p.line),
                    );
                }
            }
        }
        if denied == 0 {
            checks.push(Check::new(
                Category::Policy,
                codes::GATE_LICENSE_DENIED,
                "licences",
                Outcome::Pass,
                format!(
                    "every stated licence fits the policy ({} packages with a stated licence)",
                    packages.len() - unknown.len()
                ),
            ));
        }
        if !unknown.is_empty() {
            let names: Vec<String> = unknown
                .iter()
                .take(10)
                .map(|p| format!("{} {}", p.name, p.version))
                .collect();
            checks.push(Check::new(
                Category::Policy,
                codes::GATE_LICENSE_UNKNOWN,
                "licences not stated",
                Outcome::Warn,
                format!(
                    "{} packages state no licence, so the policy could not be checked for them: {}{}",
                    unknown.len(),
                    names.join(", "),
                    if unknown.len() > 10 { ", …" } else { "" }
                ),
            ));
        }
    }

    // Banned packages.
    if policy.bans.is_empty() {
        checks.push(Check::new(
            Category::Policy,
            codes::GATE_BANNED_PACKAGE,
            "banned packages",
            Outcome::NotApplicable,
            "no `[gate] bans`",
        ));
    } else {
        let mut found = 0;
        for p in packages {
            for ban in policy.bans.iter().filter(|b| ban_matches(b, p)) {
                found += 1;
                checks.push(
                    Check::new(
                        Category::Policy,
                        codes::GATE_BANNED_PACKAGE,
                        here(p),
                        Outcome::Fail,
                        format!(
                            "{} {} is banned{}: {}",
                            p.name,
                            p.version,
                            ban.versions
                                .as_ref()
                                .map(|v| format!(" at `{v}`"))
                                .unwrap_or_default(),
                            ban.reason
                        ),
                    )
                    .at(p.file.as_ref(), p.line),
                );
            }
        }
        if found == 0 {
            checks.push(Check::new(
                Category::Policy,
                codes::GATE_BANNED_PACKAGE,
                "banned packages",
                Outcome::Pass,
                format!("none of the {} banned packages is used", policy.bans.len()),
            ));
        }
    }

    // Sources.
    let mut bad_sources = 0;
    for p in packages {
        let problem = match &p.source {
            Source::OtherRegistry(url) if !policy.registries.iter().any(|r| same_url(r, url)) => {
                Some((
                    codes::GATE_REGISTRY_DISALLOWED,
                    format!(
                        "{} {} comes from the registry {url}, not in `[gate] registries`",
                        p.name, p.version
                    ),
                ))
            }
            Source::Git { url, .. }
                if !policy
                    .git_sources
                    .iter()
                    .any(|g| url.starts_with(g.as_str())) =>
            {
                Some((
                    codes::GATE_GIT_SOURCE_DISALLOWED,
                    format!(
                        "{} {} comes from the git repository {url}, not in `[gate] git-sources`",
                        p.name, p.version
                    ),
                ))
            }
            _ => None,
        };
        if let Some((code, message)) = problem {
            bad_sources += 1;
            checks.push(
                Check::new(Category::Policy, code, here(p), Outcome::Fail, message)
                    .at(p.file.as_ref(), p.line),
            );
        }
    }
    if bad_sources == 0 {
        checks.push(Check::new(
            Category::Policy,
            codes::GATE_REGISTRY_DISALLOWED,
            "sources",
            Outcome::Pass,
            "every package comes from its default registry or an allowed registry or git source",
        ));
    }
    checks
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use crabox_types::Code;

    use super::*;

    fn package(name: &str, version: &str, license: &str, source: Source) -> Package<'static> {
        let mut package = crabox_types::component::Package::new(
            crabox_types::component::Ecosystem::Cargo,
            name,
            version,
        );
        package.source = source;
        if !license.is_empty() {
            package.licenses = vec![license.into()];
        }
        package.line = 7;
        Package {
            package: std::borrow::Cow::Owned(package),
            file: "Cargo.lock".into(),
        }
    }

    fn fails(checks: &[Check]) -> Vec<(Code, String)> {
        checks
            .iter()
            .filter(|c| c.outcome == Outcome::Fail)
            .map(|c| (c.code, c.name.clone()))
            .collect()
    }

    #[test]
    fn spdx_expressions_are_evaluated_with_or_and_with() {
        let allow = ["MIT".to_owned(), "Apache-2.0".to_owned()];
        assert_eq!(license_problem("MIT OR GPL-3.0-only", &allow, &[]), None);
        assert!(license_problem("MIT AND GPL-3.0-only", &allow, &[]).is_some());
        assert_eq!(
            license_problem("Apache-2.0 WITH LLVM-exception", &allow, &[]),
            None
        );
        assert_eq!(
            license_problem("MIT/Apache-2.0", &allow, &[]),
            None,
            "lax `/`"
        );
        let deny = ["GPL-3.0-only".to_owned()];
        assert_eq!(license_problem("MIT OR GPL-3.0-only", &[], &deny), None);
        let problem = license_problem("GPL-3.0-only", &[], &deny).unwrap();
        assert!(
            problem.contains("cannot be used without GPL-3.0-only"),
            "{problem}"
        );
        assert!(license_problem("not a licence ((", &[], &deny).is_some());
    }

    #[test]
    fn each_rule_fails_on_a_violation_and_passes_without() {
        let policy = Policy {
            fail_on: Some(Severity::High),
            allow: vec!["MIT".into()],
            deny: vec![],
            bans: vec![BanEntry {
                name: "openssl".into(),
                ecosystem: None,
                versions: Some("< 0.10.55".into()),
                reason: "CVE-2023-xxxx".into(),
            }],
            registries: vec!["https://registry.acme.example/".into()],
            git_sources: vec!["https://github.com/acme/".into()],
        };
        let good = [
            package("serde", "1.0.0", "MIT", Source::Registry),
            package("openssl", "0.10.60", "MIT", Source::Registry),
            package(
                "inhouse",
                "1.0.0",
                "MIT",
                Source::OtherRegistry("https://registry.acme.example".into()),
            ),
            package(
                "fork",
                "1.0.0",
                "MIT",
                Source::Git {
                    url: "https://github.com/acme/fork".into(),
                    rev: None,
                },
            ),
        ];
        let advisories = [Advisory {
            id: "R-1".into(),
            kind: FindingKind::Vulnerability,
            ecosystem: crabox_types::component::Ecosystem::Cargo,
            package: "serde".into(),
            version: "1.0.0".into(),
            severity: Some(Severity::Medium),
            open: true,
            file: "Cargo.lock".into(),
            line: 7,
        }];
        let checks = check(&good, &advisories, &policy);
        assert!(fails(&checks).is_empty(), "{checks:#?}");
        assert!(
            checks
                .iter()
                .any(|c| c.code == codes::GATE_VULNERABILITY && c.outcome == Outcome::Warn)
        );
        let bad = [
            package("gpl", "1.0.0", "GPL-3.0-only", Source::Registry),
            package("openssl", "0.10.1", "MIT", Source::Registry),
            package(
                "other",
                "1.0.0",
                "MIT",
                Source::OtherRegistry("https://evil.example".into()),
            ),
            package(
                "fork",
                "1.0.0",
                "MIT",
                Source::Git {
                    url: "https://github.com/mallory/fork".into(),
                    rev: None,
                },
            ),
        ];
        let mut severe = advisories.clone();
        severe[0].severity = None;
        let found: Vec<Code> = fails(&check(&bad, &severe, &policy))
            .into_iter()
            .map(|(code, _)| code)
            .collect();
        assert_eq!(
            found,
            [
                codes::GATE_VULNERABILITY,
                codes::GATE_LICENSE_DENIED,
                codes::GATE_BANNED_PACKAGE,
                codes::GATE_REGISTRY_DISALLOWED,
                codes::GATE_GIT_SOURCE_DISALLOWED
            ]
        );
    }
}
