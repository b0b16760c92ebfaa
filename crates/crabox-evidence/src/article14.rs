//! Article 14 of Regulation (EU) 2024/2847: for each actively exploited vulnerability in the
//! product, an early warning within 24 hours of becoming aware, a notification within 72 hours,
//! and a final report within 14 days after a corrective or mitigating measure is available.
//!
//! crabox knows a vulnerability is actively exploited only when the manufacturer says so
//! (`[evidence] exploited`) or when an open finding's CVE is listed in the CISA Known Exploited
//! Vulnerabilities catalogue the repository carries (`[evidence] kev-catalog`). The report says
//! which of the two it could consult.
//!
//! Awareness persists: declared (`aware-since`), else carried forward from an earlier bundle's
//! `cra/report.json` (so the clocks do not restart at every release), else the report time.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crabox_types::{Date, rfc3339};
use serde::{Deserialize, Serialize};

use crate::EvidenceError;

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// 2026-09-11T00:00:00Z: Article 14 applies from this day (Article 71(2)), also to products
/// already on the market; awareness before it starts no deadline.
pub const APPLIES_FROM: i64 = 1_789_084_800;

/// How crabox learned that a vulnerability is actively exploited, or of a severe incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// `[evidence] exploited` in `crabox.toml`.
    Declared,
    /// `[evidence] incidents`: a severe incident (Article 14(3)).
    Incident,
    /// Listed in the KEV catalogue on the given date.
    Kev { date_added: String },
}

/// One actively exploited vulnerability, before its deadlines are worked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exploited {
    pub id: String,
    /// `name@version` of the affected packages, from the audit, when it found them.
    pub packages: Vec<String>,
    pub source: Source,
    /// Unix seconds: the deadlines count from here.
    pub aware_since: i64,
    /// Unix seconds: when a fix or mitigation became available.
    pub fix_available: Option<i64>,
    /// Where `aware_since` comes from.
    pub awareness: Awareness,
    /// Anything the reader must know about this entry.
    pub note: Option<String>,
}

/// Where the awareness of an entry comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Awareness {
    /// `aware-since` in `crabox.toml`.
    Declared,
    /// An earlier bundle's report recorded it (the bundle's name).
    Carried { from: String },
    /// First seen by this report: aware from the report time.
    #[default]
    ThisReport,
}

impl Awareness {
    /// In words, for the report.
    pub fn describe(&self) -> String {
        match self {
            Awareness::Declared => "declared".to_owned(),
            Awareness::Carried { from } => format!("carried forward from {from}"),
            Awareness::ThisReport => "first seen in this report".to_owned(),
        }
    }
}

/// An entry of an earlier bundle's Article 14 section, carried forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    pub packages: Vec<String>,
    pub source: Source,
    /// Unix seconds.
    pub aware_since: i64,
    /// Unix seconds.
    pub fix_available: Option<i64>,
    /// The bundle it was read from.
    pub from: String,
}

/// One reporting obligation and when it is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// `early-warning`, `notification` or `final-report`.
    pub obligation: &'static str,
    /// RFC 3339 UTC; `None` for the final report while no fix is available.
    pub due: Option<String>,
    /// Whether `due` is before the bundle's time.
    pub passed: bool,
    /// The rule, in words.
    pub rule: &'static str,
}

/// One row of the report's Article 14 section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub id: String,
    pub packages: Vec<String>,
    pub source: Source,
    pub aware_since: String,
    /// Where `aware_since` comes from.
    pub awareness: Awareness,
    /// When a fix or mitigation became available (RFC 3339), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix_available: Option<String>,
    /// Empty when the awareness came before Article 14 applied.
    pub deadlines: Vec<Deadline>,
    /// Why there are no deadlines, when there are none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The report's Article 14 section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Article14 {
    /// The bundle's time (commit time or `SOURCE_DATE_EPOCH`), against which deadlines are
    /// said to have passed.
    pub as_of: String,
    /// What crabox consulted to know about active exploitation.
    pub sources: Vec<String>,
    /// What it could not consult, and how to add it.
    pub unchecked: Vec<String>,
    /// `[product] member-state`: whose CSIRT coordinator receives the reports.
    pub member_state: Option<String>,
    pub vulnerabilities: Vec<Entry>,
}

impl Article14 {
    /// The deadlines that passed before the report time: each a report that is overdue.
    pub fn overdue(&self) -> Vec<(&Entry, &Deadline)> {
        self.vulnerabilities
            .iter()
            .flat_map(|e| e.deadlines.iter().filter(|d| d.passed).map(move |d| (e, d)))
            .collect()
    }

    /// Where Article 14 reports go.
    pub fn recipients(&self) -> String {
        format!(
            "the CSIRT designated as coordinator of {}, through ENISA's single reporting platform (Article 14(1), 14(7), Article 16)",
            self.member_state.as_deref().map_or_else(
                || "the Member State of the main establishment (set `[product] member-state`)"
                    .to_owned(),
                |code| format!("the Member State `{code}`")
            )
        )
    }

    /// A draft record per report due (`cra/article14/<id>-<obligation>.md`): the fields
    /// Article 14(2) asks of it, to be completed and submitted by the manufacturer.
    pub fn drafts(&self) -> Vec<(String, String)> {
        let mut drafts = Vec::new();
        for entry in &self.vulnerabilities {
            for deadline in &entry.deadlines {
                let incident = entry.source == Source::Incident;
                let fields: &[&str] = match deadline.obligation {
                    "early-warning" if incident => &[
                        "whether the incident is suspected to be caused by unlawful or malicious acts",
                        "the Member States on whose territory the product is made available",
                    ],
                    "notification" if incident => &[
                        "the general nature of the incident and an initial assessment of it",
                        "the corrective or mitigating measures taken, and those users can take",
                        "how sensitive the information notified is",
                    ],
                    "final-report" if incident => &[
                        "a detailed description of the incident, including its severity and impact",
                        "the type of threat or root cause that is likely to have triggered it",
                        "the mitigation measures applied and ongoing",
                    ],
                    "early-warning" => &[
                        "whether the exploitation is suspected to be caused by unlawful or malicious acts",
                        "the Member States on whose territory the product is made available",
                    ],
                    "notification" => &[
                        "general information about the product",
                        "the general nature of the exploit and of the vulnerability",
                        "the corrective or mitigating measures taken, and those users can take",
                        "how sensitive the information notified is",
                    ],
                    _ => &[
                        "a description of the vulnerability, including its severity and impact",
                        "information about any malicious actor that exploited it, where available",
                        "details of the security update or other corrective measure made available",
                    ],
                };
                let mut text = format!(
                    "# DRAFT Article 14 {}: {}\n\n- Vulnerability: {}\n- Affected packages: {}\n- Aware since: {}\n- Due: {}{}\n- Rule: {}\n- Recipient: {}\n\nTo complete before submitting:\n\n",
                    deadline.obligation.replace('-', " "),
                    entry.id,
                    entry.id,
                    if entry.packages.is_empty() {
                        "(none found by the audit)".to_owned()
                    } else {
                        entry.packages.join(", ")
                    },
                    entry.aware_since,
                    deadline
                        .due
                        .as_deref()
                        .unwrap_or("when a corrective or mitigating measure is available"),
                    if deadline.passed { " (OVERDUE)" } else { "" },
                    deadline.rule,
                    self.recipients(),
                );
                for field in fields {
                    let _ = writeln!(text, "- [ ] {field}");
                }
                text.push_str("\nAfter the notification, the manufacturer informs the affected users of the vulnerability and of the measures they can take (Article 14(8)).\n");
                let name = format!(
                    "{}-{}.md",
                    crabox_types::file_name::component(&entry.id),
                    deadline.obligation
                );
                drafts.push((name, text));
            }
        }
        drafts
    }
}

/// The same time of day one calendar month later (the 31st becoming the month's last day).
fn one_month_after(seconds: i64) -> Option<i64> {
    let date = Date::from_unix_seconds(seconds)?;
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    let day = (1..=date.day())
        .rev()
        .find_map(|d| Date::new(year, month, d))?;
    Some(day.days_since_epoch() * DAY + seconds.rem_euclid(DAY))
}

fn time(seconds: i64) -> String {
    rfc3339(seconds).unwrap_or_else(|| format!("@{seconds}"))
}

/// The three deadlines of each vulnerability as of `as_of` (Unix seconds), sorted by id.
pub fn deadlines(
    mut exploited: Vec<Exploited>,
    as_of: i64,
    sources: Vec<String>,
    unchecked: Vec<String>,
) -> Article14 {
    exploited.sort_by(|a, b| a.id.cmp(&b.id));
    let deadline = |obligation, due: Option<i64>, rule| Deadline {
        obligation,
        due: due.map(time),
        passed: due.is_some_and(|due| due < as_of),
        rule,
    };
    let vulnerabilities = exploited
        .into_iter()
        .map(|e| Entry {
            note: {
                let before = (e.aware_since < APPLIES_FROM).then_some(
                    "aware before 2026-09-11, when Article 14 began to apply: no reporting deadline runs from this awareness",
                );
                match (e.note.as_deref(), before) {
                    (Some(note), Some(before)) => Some(format!("{note}; {before}")),
                    (note, before) => note.or(before).map(str::to_owned),
                }
            },
            deadlines: if e.aware_since < APPLIES_FROM {
                Vec::new()
            } else {
                vec![
                deadline(
                    "early-warning",
                    Some(e.aware_since + 24 * HOUR),
                    "within 24 hours of becoming aware (Article 14(2)(a))",
                ),
                deadline(
                    "notification",
                    Some(e.aware_since + 72 * HOUR),
                    "within 72 hours of becoming aware (Article 14(2)(b))",
                ),
                if e.source == Source::Incident {
                    deadline(
                        "final-report",
                        one_month_after(e.aware_since + 72 * HOUR),
                        "within one month after the incident notification (Article 14(4)(c))",
                    )
                } else {
                    deadline(
                        "final-report",
                        e.fix_available.map(|fix| fix + 14 * DAY),
                        "within 14 days after a corrective or mitigating measure is available (Article 14(2)(c))",
                    )
                },
            ]
            },
            id: e.id,
            packages: e.packages,
            source: e.source,
            aware_since: time(e.aware_since),
            awareness: e.awareness,
            fix_available: e.fix_available.map(time),
        })
        .collect();
    Article14 {
        as_of: time(as_of),
        sources,
        unchecked,
        vulnerabilities,
        member_state: None,
    }
}

/// The CVE ids of a CISA Known Exploited Vulnerabilities catalogue
/// (`known_exploited_vulnerabilities.json`), each with the date it was added.
pub fn read_kev(what: &str, text: &str) -> Result<BTreeMap<String, Date>, EvidenceError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Catalogue {
        vulnerabilities: Vec<Vulnerability>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Vulnerability {
        #[serde(rename = "cveID")]
        cve_id: String,
        date_added: Date,
    }
    let catalogue: Catalogue = serde_json::from_str(text).map_err(|e| {
        // serde_json ends its message with the location, which comes first here.
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        EvidenceError::Malformed {
            what: what.to_owned(),
            message: format!(
                "line {}, column {}: not a KEV catalogue (expected `vulnerabilities` with `cveID` and `dateAdded`): {message}",
                e.line(),
                e.column()
            ),
        }
    })?;
    Ok(catalogue
        .vulnerabilities
        .into_iter()
        .map(|v| (v.cve_id, v.date_added))
        .collect())
}

/// One open vulnerability of the audit: its id and aliases, and `name@version` of the package.
pub type Open = (Vec<String>, String);

/// What Article 14 is worked out from: the declared exploited vulnerabilities, the KEV
/// catalogue when the repository carries one (its name and entries), the audit's open findings,
/// or why the audit did not run.
pub struct Inputs<'a> {
    pub declared: Vec<Exploited>,
    pub kev: Option<(&'a str, &'a BTreeMap<String, Date>)>,
    pub open: &'a [Open],
    pub audit_not_run: Option<&'a crabox_types::Reason>,
    /// The entries of earlier bundles' reports, by id (see [`carried`]).
    pub carried: &'a BTreeMap<String, Carried>,
    pub as_of: i64,
}

/// The Article 14 entries of an earlier bundle's `cra/report.json` (`from` names the bundle),
/// added to `into` when the report is `product`'s; where both know an id, the earlier awareness
/// is kept. Returns whether the report was `product`'s.
pub fn carried(
    from: &str,
    product: &str,
    report_json: &str,
    into: &mut BTreeMap<String, Carried>,
) -> Result<bool, EvidenceError> {
    #[derive(Deserialize)]
    struct Report {
        product: String,
        #[serde(default)]
        article14: Option<Section>,
    }
    #[derive(Deserialize)]
    struct Section {
        #[serde(default)]
        vulnerabilities: Vec<Earlier>,
    }
    #[derive(Deserialize)]
    struct Earlier {
        id: String,
        #[serde(default)]
        packages: Vec<String>,
        source: Source,
        aware_since: crabox_types::Timestamp,
        #[serde(default)]
        fix_available: Option<crabox_types::Timestamp>,
    }
    let report: Report =
        serde_json::from_str(report_json).map_err(|e| EvidenceError::Malformed {
            what: format!("{from}: cra/report.json"),
            message: format!(
                "line {}, column {}: not a crabox CRA report (expected `article14.vulnerabilities` with `id`, `source` and `aware_since`): {e}",
                e.line(),
                e.column()
            ),
        })?;
    if report.product != product {
        return Ok(false);
    }
    for earlier in report.article14.into_iter().flat_map(|s| s.vulnerabilities) {
        let entry = Carried {
            packages: earlier.packages,
            source: earlier.source,
            aware_since: earlier.aware_since.unix_seconds(),
            fix_available: earlier
                .fix_available
                .map(crabox_types::Timestamp::unix_seconds),
            from: from.to_owned(),
        };
        match into.get(&earlier.id) {
            Some(known) if known.aware_since <= entry.aware_since => {}
            _ => {
                into.insert(earlier.id, entry);
            }
        }
    }
    Ok(true)
}

/// The Article 14 section: the declared actively exploited vulnerabilities, the open findings
/// whose CVE the KEV catalogue lists (aware since an earlier bundle recorded them, else since
/// this report), and what earlier bundles recorded that neither names any more (its duties do
/// not end because a later release fixed it).
#[allow(clippy::too_many_lines)] // three sources, one after the other
pub fn assess(inputs: Inputs<'_>) -> Article14 {
    let Inputs {
        declared,
        kev,
        open,
        audit_not_run,
        carried,
        as_of,
    } = inputs;
    let packages_of = |id: &str| -> Vec<String> {
        let mut packages: Vec<String> = open
            .iter()
            .filter(|(ids, _)| ids.iter().any(|i| i == id))
            .map(|(_, package)| package.clone())
            .collect();
        packages.sort();
        packages.dedup();
        packages
    };
    let mut exploited: Vec<Exploited> = declared
        .into_iter()
        .map(|mut e| {
            e.packages = packages_of(&e.id);
            e
        })
        .collect();
    let mut used = std::collections::BTreeSet::new();
    let mut sources = vec![format!(
        "`[evidence] exploited` ({} declared)",
        exploited.len()
    )];
    let mut unchecked = Vec::new();
    match kev {
        Some((name, kev)) => {
            sources.push(format!("KEV catalogue {name} ({} CVEs)", kev.len()));
            for (ids, _) in open {
                let Some((cve, added)) = ids.iter().find_map(|id| kev.get_key_value(id)) else {
                    continue;
                };
                if exploited
                    .iter()
                    .any(|e| ids.contains(&e.id) || e.id == *cve)
                {
                    continue;
                }
                // Only an earlier awareness changes anything (and a re-run with the same
                // report time stays byte-identical).
                let earlier = ids
                    .iter()
                    .find_map(|id| carried.get(id))
                    .filter(|c| c.aware_since < as_of);
                if let Some(c) = earlier {
                    used.insert(c.from.as_str());
                }
                exploited.push(Exploited {
                    id: cve.clone(),
                    packages: packages_of(cve),
                    source: Source::Kev {
                        date_added: added.to_string(),
                    },
                    // Not declared: aware since an earlier bundle recorded it, else from this
                    // report (the catalogue's date is when CISA learned of it, not when the
                    // manufacturer did).
                    aware_since: earlier.map_or(as_of, |c| c.aware_since.min(as_of)),
                    fix_available: None,
                    awareness: earlier.map_or(Awareness::ThisReport, |c| Awareness::Carried {
                        from: c.from.clone(),
                    }),
                    note: None,
                });
            }
        }
        None => unchecked.push(
            "a CISA Known Exploited Vulnerabilities catalogue \
             (`[evidence] kev-catalog = \"known_exploited_vulnerabilities.json\"`)"
                .to_owned(),
        ),
    }
    if let Some(why) = audit_not_run {
        unchecked.push(format!(
            "the audit's findings (it did not run: {why}), so none was matched"
        ));
    }
    // What earlier bundles recorded and this run did not find again.
    for (id, earlier) in carried {
        if exploited.iter().any(|e| e.id == *id) {
            continue;
        }
        used.insert(earlier.from.as_str());
        let still_open = open.iter().any(|(ids, _)| ids.contains(id));
        let (fix_available, note) = if earlier.source == Source::Incident {
            (None, "carried forward: no longer declared in `[evidence] incidents`, but the reports it started are still due".to_owned())
        } else if still_open {
            (earlier.fix_available, "carried forward: still open in this release, though no source of this run names it as exploited".to_owned())
        } else if audit_not_run.is_some() {
            (earlier.fix_available, "carried forward: this release was not audited, so whether it is still present is not known".to_owned())
        } else {
            (
                Some(earlier.fix_available.unwrap_or(as_of)),
                "carried forward: not open in this release, so a fix is available with this release at the latest".to_owned(),
            )
        };
        exploited.push(Exploited {
            id: id.clone(),
            packages: earlier.packages.clone(),
            source: earlier.source.clone(),
            aware_since: earlier.aware_since,
            fix_available,
            awareness: Awareness::Carried {
                from: earlier.from.clone(),
            },
            note: Some(note),
        });
    }
    if !used.is_empty() {
        let used: Vec<&str> = used.into_iter().collect();
        sources.push(format!("earlier bundles ({})", used.join(", ")));
    }
    deadlines(exploited, as_of, sources, unchecked)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWARE: i64 = 1_795_132_800 + 8 * HOUR; // 2026-11-20T08:00:00Z

    fn at(text: &str) -> i64 {
        text.parse::<crabox_types::Timestamp>()
            .unwrap()
            .unix_seconds()
    }

    fn due(aware: &str, fix: Option<&str>, as_of: &str) -> Vec<(Option<String>, bool)> {
        let section = deadlines(
            vec![Exploited {
                id: "CVE-2026-9".into(),
                packages: vec![],
                source: Source::Declared,
                aware_since: at(aware),
                fix_available: fix.map(at),
                awareness: Awareness::Declared,
                note: None,
            }],
            at(as_of),
            vec![],
            vec![],
        );
        section.vulnerabilities[0]
            .deadlines
            .iter()
            .map(|d| (d.due.clone(), d.passed))
            .collect()
    }

    #[test]
    fn deadlines_across_time_zones_month_and_year_ends() {
        // 23:30 at +01:00 on 31 October is 22:30 UTC: the early warning falls in November.
        assert_eq!(
            due("2026-10-31T23:30:00+01:00", None, "2026-11-01T00:00:00Z"),
            [
                (Some("2026-11-01T22:30:00Z".to_owned()), false),
                (Some("2026-11-03T22:30:00Z".to_owned()), false),
                (None, false),
            ]
        );
        // Behind UTC, across the end of a 30-day month; a fix on 25 December gives a final
        // report due in the next year.
        assert_eq!(
            due(
                "2026-11-30T20:00:00-05:00",
                Some("2026-12-25"),
                "2026-12-03T02:00:00Z"
            ),
            [
                (Some("2026-12-02T01:00:00Z".to_owned()), true),
                (Some("2026-12-04T01:00:00Z".to_owned()), false),
                (Some("2027-01-08T00:00:00Z".to_owned()), false),
            ]
        );
        // February of a common year: 72 hours from 26 February end on 1 March.
        assert_eq!(
            due("2027-02-26T12:00:00Z", None, "2027-03-01T12:00:00Z"),
            [
                (Some("2027-02-27T12:00:00Z".to_owned()), true),
                (Some("2027-03-01T12:00:00Z".to_owned()), false),
                (None, false),
            ]
        );
        // A deadline is passed only after its moment, not at it.
        assert_eq!(
            due("2026-10-01T00:00:00Z", None, "2026-10-02T00:00:00Z")[0],
            (Some("2026-10-02T00:00:00Z".to_owned()), false)
        );
    }

    #[test]
    fn a_severe_incident_has_its_final_report_one_month_after_the_notification() {
        let section = deadlines(
            vec![Exploited {
                id: "INC-1".into(),
                packages: vec![],
                source: Source::Incident,
                aware_since: at("2027-01-28T10:00:00Z"),
                fix_available: None,
                awareness: Awareness::Declared,
                note: None,
            }],
            at("2027-02-01T00:00:00Z"),
            vec![],
            vec![],
        );
        let due: Vec<_> = section.vulnerabilities[0]
            .deadlines
            .iter()
            .map(|d| (d.obligation, d.due.clone().unwrap(), d.passed))
            .collect();
        // Notified by 31 January: the final report is due on February's last day.
        assert_eq!(
            due,
            [
                ("early-warning", "2027-01-29T10:00:00Z".to_owned(), true),
                ("notification", "2027-01-31T10:00:00Z".to_owned(), true),
                ("final-report", "2027-02-28T10:00:00Z".to_owned(), false),
            ]
        );
        assert_eq!(
            one_month_after(at("2026-12-15T08:30:00Z")),
            Some(at("2027-01-15T08:30:00Z"))
        );
        let drafts = section.drafts();
        assert!(
            drafts[0].1.contains("the incident is suspected"),
            "{}",
            drafts[0].1
        );
    }

    #[test]
    fn awareness_before_article_14_applied_starts_no_deadline() {
        assert!(due("2026-09-10T23:59:59Z", None, "2026-12-03T00:00:00Z").is_empty());
        assert_eq!(
            due("2026-09-10T23:30:00-02:00", None, "2026-12-03T00:00:00Z").len(),
            3,
            "01:30 UTC on 11 September: Article 14 applies"
        );
    }

    #[test]
    fn deadlines_count_from_awareness_and_from_the_fix() {
        let exploited = vec![
            Exploited {
                id: "CVE-2026-2".into(),
                packages: vec![],
                source: Source::Declared,
                aware_since: AWARE,
                fix_available: None,
                awareness: Awareness::Declared,
                note: None,
            },
            Exploited {
                id: "CVE-2026-1".into(),
                packages: vec!["openssl@0.10.1".into()],
                source: Source::Kev {
                    date_added: "2026-11-19".into(),
                },
                aware_since: AWARE,
                fix_available: Some(AWARE + DAY),
                awareness: Awareness::ThisReport,
                note: None,
            },
        ];
        // The bundle is made 48 hours after awareness: the early warning is overdue, the
        // notification is not.
        let section = deadlines(exploited, AWARE + 48 * HOUR, vec![], vec![]);
        assert_eq!(section.as_of, "2026-11-22T08:00:00Z");
        let first = &section.vulnerabilities[0];
        assert_eq!(first.id, "CVE-2026-1", "sorted by id");
        let due: Vec<_> = first
            .deadlines
            .iter()
            .map(|d| (d.obligation, d.due.as_deref(), d.passed))
            .collect();
        assert_eq!(
            due,
            [
                ("early-warning", Some("2026-11-21T08:00:00Z"), true),
                ("notification", Some("2026-11-23T08:00:00Z"), false),
                ("final-report", Some("2026-12-05T08:00:00Z"), false),
            ]
        );
        let second = &section.vulnerabilities[1];
        assert_eq!(second.deadlines[2].due, None);
        assert!(!second.deadlines[2].passed);
    }

    #[test]
    fn earlier_awareness_is_carried_forward_and_the_earliest_kept() {
        let report = |aware: &str| {
            format!(
                r#"{{"product": "p", "article14": {{"vulnerabilities": [{{"id": "CVE-2026-1", "packages": ["a@1"], "source": {{"kev": {{"date_added": "2026-10-01"}}}}, "aware_since": "{aware}"}}]}}}}"#
            )
        };
        let mut carried = BTreeMap::new();
        assert!(carried_ok(
            "p-1.0",
            &report("2026-11-20T08:00:00Z"),
            &mut carried
        ));
        assert!(carried_ok(
            "p-1.1",
            &report("2026-11-25T08:00:00Z"),
            &mut carried
        ));
        assert!(!carried_ok(
            "q-1.0",
            &report("2026-10-01T00:00:00Z").replace("\"p\"", "\"q\""),
            &mut carried
        ));
        assert_eq!(
            carried["CVE-2026-1"].aware_since,
            at("2026-11-20T08:00:00Z")
        );
        assert_eq!(carried["CVE-2026-1"].from, "p-1.0");
        let err = super::carried("p-1.0", "p", "{\n\"product\": 1}", &mut carried).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");

        // Open again and in the catalogue: aware since the earlier bundle, so the early
        // warning is overdue three days later.
        let kev = BTreeMap::from([("CVE-2026-1".to_owned(), "2026-10-01".parse().unwrap())]);
        let open = [(
            vec!["RUSTSEC-1".to_owned(), "CVE-2026-1".to_owned()],
            "a@1".to_owned(),
        )];
        let as_of = at("2026-11-23T09:00:00Z");
        let section = assess(Inputs {
            declared: vec![],
            kev: Some(("kev.json", &kev)),
            open: &open,
            audit_not_run: None,
            carried: &carried,
            as_of,
        });
        let entry = &section.vulnerabilities[0];
        assert_eq!(entry.aware_since, "2026-11-20T08:00:00Z");
        assert_eq!(
            entry.awareness,
            Awareness::Carried {
                from: "p-1.0".into()
            }
        );
        assert!(entry.deadlines[0].passed);
        assert!(section.sources.last().unwrap().contains("p-1.0"));
        // Fixed: carried on, the final report due 14 days after this release.
        let section = assess(Inputs {
            declared: vec![],
            kev: Some(("kev.json", &kev)),
            open: &[],
            audit_not_run: None,
            carried: &carried,
            as_of,
        });
        let entry = &section.vulnerabilities[0];
        assert_eq!(entry.fix_available.as_deref(), Some("2026-11-23T09:00:00Z"));
        assert_eq!(
            entry.deadlines[2].due.as_deref(),
            Some("2026-12-07T09:00:00Z")
        );
        // A later awareness changes nothing, and is not named as a source.
        let later = BTreeMap::from([(
            "CVE-2026-1".to_owned(),
            Carried {
                aware_since: as_of + DAY,
                ..carried["CVE-2026-1"].clone()
            },
        )]);
        let section = assess(Inputs {
            declared: vec![],
            kev: Some(("kev.json", &kev)),
            open: &open,
            audit_not_run: None,
            carried: &later,
            as_of,
        });
        assert_eq!(section.vulnerabilities[0].awareness, Awareness::ThisReport);
        assert_eq!(section.sources.len(), 2, "{:?}", section.sources);
    }

    fn carried_ok(from: &str, json: &str, into: &mut BTreeMap<String, Carried>) -> bool {
        carried(from, "p", json, into).unwrap()
    }

    #[test]
    fn kev_catalogues_are_read_and_bad_ones_named() {
        let kev = r#"{"title": "CISA Catalog of Known Exploited Vulnerabilities", "count": 1,
            "vulnerabilities": [{"cveID": "CVE-2021-44228", "vendorProject": "Apache",
            "dateAdded": "2021-12-10", "dueDate": "2021-12-24"}]}"#;
        let ids = read_kev("kev.json", kev).unwrap();
        assert_eq!(ids["CVE-2021-44228"].to_string(), "2021-12-10");
        let err = read_kev("kev.json", "{\n\"vulnerabilities\": [{\"cveID\": 1}]}")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("kev.json: line 2"), "{err}");
    }
}
