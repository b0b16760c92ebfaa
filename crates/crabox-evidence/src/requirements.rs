//! The CRA requirement map (PRODUCT §5): one row per essential requirement of Regulation (EU)
//! 2024/2847 Annex I, with the 2022 proposal's numbering, the IEC 62443 part the whitepaper maps
//! it to, and the status the evidence of one run gives it.

use std::collections::BTreeMap;

use crabox_types::{Step, StepName};
use serde::Serialize;

/// One essential requirement.
#[derive(Debug, Clone, Copy)]
pub struct Requirement {
    /// Numbering of the final Regulation, e.g. `I.2(a)`, `II.1`.
    pub id: &'static str,
    /// Numbering of the 2022 proposal.
    pub proposal: &'static str,
    /// IEC 62443 part (`GAP` where the standard has none).
    pub iec62443: &'static str,
    pub title: &'static str,
    /// The `[evidence]` key of the manufacturer's declaration for it, if one can declare it.
    pub declaration: Option<&'static str>,
    /// What crabox checks for it, beyond a declaration.
    pub check: Check,
}

/// What evidence a requirement is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Only a manufacturer's declaration.
    Declared,
    /// No known exploitable vulnerability left open (the audit after VEX).
    NoOpenVulnerabilities,
    /// Signed release artifacts, with the update channel declared.
    SignedUpdates,
    /// Signatures and provenance of the artifacts.
    Integrity,
    /// Repository checks of `crabox gate` (workflow hygiene, committed binaries), or declared.
    RepositoryChecks,
    /// Binary hardening of the artifacts (`crabox gate --artifact`), or declared.
    Hardening,
    /// SBOMs in the bundle.
    Sbom,
    /// No open vulnerability that a released fix would close.
    Remediation,
    /// Security tests and reviews: `crabox gate` results.
    SecurityTests,
    /// Fixed vulnerabilities disclosed: release notes' security section and CSAF advisories.
    Disclosure,
    /// A coordinated vulnerability disclosure policy.
    CvdPolicy,
    /// A security contact.
    Contact,
    /// Signatures, checksums and provenance of the distributed updates.
    UpdateDistribution,
    /// CSAF advisories published with the release.
    Advisories,
}

const fn req(
    id: &'static str,
    proposal: &'static str,
    iec62443: &'static str,
    title: &'static str,
    declaration: Option<&'static str>,
    check: Check,
) -> Requirement {
    Requirement {
        id,
        proposal,
        iec62443,
        title,
        declaration,
        check,
    }
}

/// The map, in the Regulation's order.
#[rustfmt::skip]
pub const REQUIREMENTS: [Requirement; 22] = [
    req(
        "I.1",
        "1",
        "3-2 & 4-1",
        "Appropriate level of cybersecurity based on the risks",
        Some("risk-assessment"),
        Check::Declared,
    ),
    req(
        "I.2(a)",
        "2",
        "4-1",
        "No known exploitable vulnerabilities",
        None,
        Check::NoOpenVulnerabilities,
    ),
    req(
        "I.2(b)",
        "3(a)",
        "GAP",
        "Secure by default configuration, reset to the original state",
        Some("secure-defaults"),
        Check::Declared,
    ),
    req(
        "I.2(c)",
        "3(k)",
        "2-1 & 4-2",
        "Vulnerabilities addressed through security updates",
        Some("security-updates"),
        Check::SignedUpdates,
    ),
    req(
        "I.2(d)",
        "3(b)",
        "4-2",
        "Protection from unauthorised access",
        Some("access-control"),
        Check::Declared,
    ),
    req(
        "I.2(e)",
        "3(c)",
        "4-2",
        "Confidentiality of data",
        Some("confidentiality"),
        Check::Declared,
    ),
    req(
        "I.2(f)",
        "3(d)",
        "4-2",
        "Integrity of data, programs and configuration",
        Some("integrity"),
        Check::Integrity,
    ),
    req(
        "I.2(g)",
        "3(e)",
        "GAP",
        "Data minimisation",
        Some("data-minimisation"),
        Check::Declared,
    ),
    req(
        "I.2(h)",
        "3(f)",
        "4-2",
        "Availability, resilience against denial of service",
        Some("availability"),
        Check::Declared,
    ),
    req(
        "I.2(i)",
        "3(g)",
        "GAP",
        "Minimise the impact on other devices and networks",
        Some("network-impact"),
        Check::Declared,
    ),
    req(
        "I.2(j)",
        "3(h)",
        "4-2",
        "Limit attack surfaces",
        Some("attack-surface"),
        Check::RepositoryChecks,
    ),
    req(
        "I.2(k)",
        "3(i)",
        "3-2",
        "Reduce the impact of incidents by exploitation mitigation",
        Some("exploit-mitigation"),
        Check::Hardening,
    ),
    req(
        "I.2(l)",
        "3(j)",
        "4-2",
        "Recording and monitoring of relevant internal activity",
        Some("monitoring"),
        Check::Declared,
    ),
    req(
        "I.2(m)",
        "—",
        "—",
        "Secure removal and transfer of data and settings",
        Some("data-removal"),
        Check::Declared,
    ),
    req(
        "II.1",
        "II.1",
        "GAP",
        "Identify and document components, including an SBOM",
        None,
        Check::Sbom,
    ),
    req(
        "II.2",
        "II.2",
        "4-1",
        "Address and remediate vulnerabilities without delay",
        None,
        Check::Remediation,
    ),
    req(
        "II.3",
        "II.3",
        "GAP",
        "Effective and regular security tests and reviews",
        Some("test-plan"),
        Check::SecurityTests,
    ),
    req(
        "II.4",
        "II.4",
        "4-1",
        "Publicly disclose fixed vulnerabilities",
        None,
        Check::Disclosure,
    ),
    req(
        "II.5",
        "II.5",
        "GAP",
        "Coordinated vulnerability disclosure policy",
        None,
        Check::CvdPolicy,
    ),
    req(
        "II.6",
        "II.6",
        "GAP",
        "Contact address for reporting, sharing information",
        None,
        Check::Contact,
    ),
    req(
        "II.7",
        "II.7",
        "4-1",
        "Secure distribution of updates",
        Some("update-distribution"),
        Check::UpdateDistribution,
    ),
    req(
        "II.8",
        "II.8",
        "4-1",
        "Security updates without delay and free of charge, with advisories",
        Some("advisory-policy"),
        Check::Advisories,
    ),
];

/// A row's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// crabox's own checks demonstrate the requirement, on non-empty, covered, fresh input.
    Pass,
    /// A check found a violation.
    Fail,
    /// crabox's checks support the requirement; the manufacturer's judgement completes it (the
    /// row becomes `declared` with the declaration).
    Evidence,
    /// The manufacturer's document is present, with any evidence linked.
    Declared,
    /// Neither evidence nor declaration.
    Missing,
    /// Annex I Part I (2)(b)–(m) only, with a reason.
    NotApplicable,
}

/// The audit's result, for the rows that depend on it.
#[derive(Debug, Clone, Default)]
pub struct AuditFacts {
    /// Packages the audit read (0: it checked nothing).
    pub packages: usize,
    /// Vulnerabilities left open after ignores and VEX.
    pub open: usize,
    /// Of those, the ones a released fix would close.
    pub open_with_fix: usize,
    /// Ignored vulnerabilities that a released fix would close (II.2 counts them as open).
    pub ignored_with_fix: usize,
    /// Age in days of the oldest database at the report time; `None` when not known (a
    /// database given with `--db` carries no date).
    pub database_age_days: Option<i64>,
    /// `[audit] max-age`: the oldest database that can give I.2(a) a pass.
    pub max_age_days: u32,
    /// The audit's files in the bundle.
    pub files: Vec<String>,
    /// Ecosystems of the lockfiles no database covered (`npm`, `PyPI`): not checked.
    pub unchecked: Vec<String>,
    /// The open vulnerabilities, and the ignored ones a released fix would close.
    pub vulnerabilities: Vec<OpenVulnerability>,
}

/// A vulnerability left open, or ignored although a released fix would close it: one line of
/// the report's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenVulnerability {
    pub id: String,
    pub aliases: Vec<String>,
    /// `name@version`.
    pub package: String,
    pub ecosystem: String,
    /// The smallest released fix above the installed version.
    pub fix: Option<String>,
    /// `open`, or `ignored` (ignored with a released fix: II.2 counts it as open).
    pub status: &'static str,
    /// The advisory's publication date (`YYYY-MM-DD`), when the database gives it.
    pub published: Option<String>,
    /// Whole days from publication to the report time.
    pub age_days: Option<i64>,
}

/// What `crabox gate` found, as `(failed, checked)` counts.
#[derive(Debug, Clone, Default)]
pub struct GateFacts {
    /// `gate/results.json`, `gate/junit.xml`, `gate/repo-checks.json`.
    pub files: Vec<String>,
    /// Workflow hygiene and committed binaries.
    pub attack_surface: (usize, usize),
    /// Binary hardening; `None` when no artifact was inspected.
    pub hardening: Option<(usize, usize)>,
    /// Security test commands; `None` when `[gate] commands` is empty.
    pub commands: Option<(usize, usize)>,
    /// Whether a CI workflow is present.
    pub ci_workflow: bool,
    /// The SECURITY.md check passed (`None`: it did not run).
    pub security_policy: Option<bool>,
    /// The security.txt check passed (`None`: there is none).
    pub security_txt: Option<bool>,
    /// Every failing check of the gate.
    pub failures: usize,
}

/// The security section of the release notes.
#[derive(Debug, Clone, Default)]
pub struct NotesFacts {
    /// Why the dependencies were not audited at both ends of the range; `None` when they were.
    pub not_audited: Option<String>,
    /// Vulnerabilities of the previous release that this one fixes.
    pub fixed: usize,
    /// Vulnerabilities known in this release (open or not affected).
    pub known: usize,
    /// Packages at both ends of the range (0: nothing was compared).
    pub packages: usize,
    /// Vulnerabilities of the previous release whose lockfile this one no longer has: not
    /// known to be fixed, never counted as fixed.
    pub unknown: usize,
    /// The earlier release (or revision) compared with; `None` when the range starts at the
    /// first commit (there is no earlier release).
    pub previous: Option<String>,
}

/// What one run produced, as bundle paths; `None`/empty where a step did not run.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// `[evidence]` key → the declaration's path in the bundle.
    pub declarations: BTreeMap<String, String>,
    /// Requirement id → why it does not apply (`[evidence] not-applicable`).
    pub not_applicable: BTreeMap<String, String>,
    pub sboms: Vec<String>,
    /// Packages read from the lockfiles (what the SBOMs list).
    pub packages: usize,
    /// The audit, or why it did not run.
    pub audit: Step<AuditFacts>,
    /// Signature bundles of the artifacts.
    pub signatures: Vec<String>,
    /// Signed attestations about the artifacts (provenance, SBOM, vulnerabilities).
    pub provenance: Vec<String>,
    /// `artifacts/SHA256SUMS`, when artifacts were given.
    pub checksums: Option<String>,
    /// Gate results (repository checks, tests, hardening), or why `crabox gate` did not run.
    pub gate: Step<GateFacts>,
    /// Release notes and CSAF advisories, when `crabox notes` ran.
    pub notes: Vec<String>,
    pub csaf: Vec<String>,
    /// The notes' security section, or why `crabox notes` did not run.
    pub notes_security: Step<NotesFacts>,
    /// The CVD policy (`[product] cvd-policy`), copied into the bundle.
    pub cvd_policy: Option<String>,
    /// `[product] security-contact`.
    pub security_contact: Option<String>,
    /// Whether there was a signer, or why not.
    pub sign: Step<()>,
    /// Lockfiles found and not read as the product's (test data, examples, `[sbom] exclude`);
    /// the manifest's `inputs.skipped_lockfiles` lists them.
    pub skipped_lockfiles: usize,
}

/// One row of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub id: &'static str,
    pub proposal: &'static str,
    pub iec62443: &'static str,
    pub title: &'static str,
    pub status: Status,
    /// Why this status, in a sentence.
    pub reason: String,
    /// Bundle files that evidence it.
    pub evidence: Vec<String>,
    /// For a missing row: the `crabox.toml` lines that would declare it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declare_with: Option<String>,
}

const NO_SBOM: &str = "no SBOM in this bundle (`crabox sbom` not run)";

/// Why a step's evidence is missing: the reason it did not run, or that it was not run.
fn skipped<T>(step: &Step<T>, name: StepName, what: &str) -> String {
    step.not_run_sentence(name, what)
        .unwrap_or_else(|| format!("no {what} in this bundle (`crabox {name}` gave none)"))
}

/// The row of `requirement` given `facts`.
pub fn evaluate(requirement: &Requirement, facts: &Facts) -> Row {
    let declared = requirement
        .declaration
        .and_then(|key| facts.declarations.get(key).map(|path| (key, path)));
    let declare_with = match (requirement.declaration, requirement.check) {
        (Some(key), _) => Some(format!("[evidence]\n{key} = \"docs/security/{key}.md\"")),
        (None, Check::CvdPolicy) => Some("[product]\ncvd-policy = \"SECURITY.md\"".to_owned()),
        (None, Check::Contact) => {
            Some("[product]\nsecurity-contact = \"mailto:security@example.com\"".to_owned())
        }
        (None, _) => None,
    };
    let row = |status, reason: String, evidence: Vec<String>| Row {
        id: requirement.id,
        proposal: requirement.proposal,
        iec62443: requirement.iec62443,
        title: requirement.title,
        status,
        reason,
        evidence,
        declare_with: None,
    };
    if let Some(why) = facts.not_applicable.get(requirement.id) {
        return row(Status::NotApplicable, why.clone(), Vec::new());
    }
    // The checked evidence first; a declaration stands in where no check is possible.
    let checked = check(requirement, facts);
    match (checked, declared) {
        (Some((Status::Missing, reason, _)), Some((_, path))) => row(
            Status::Declared,
            format!("declared; {reason}"),
            vec![path.clone()],
        ),
        (Some((Status::Evidence, reason, mut evidence)), Some((key, path))) => {
            evidence.push(path.clone());
            row(
                Status::Declared,
                format!("declared in `[evidence] {key}`; {reason}"),
                evidence,
            )
        }
        (Some((status, reason, mut evidence)), declared) => {
            evidence.extend(declared.map(|(_, path)| path.clone()));
            let mut r = row(status, reason, evidence);
            if matches!(status, Status::Missing | Status::Evidence) {
                r.declare_with = declare_with;
            }
            r
        }
        (None, Some((key, path))) => row(
            Status::Declared,
            format!("declared in `[evidence] {key}`"),
            vec![path.clone()],
        ),
        (None, None) => {
            let mut r = row(
                Status::Missing,
                "no evidence and no declaration".into(),
                Vec::new(),
            );
            r.declare_with = declare_with;
            r
        }
    }
}

/// What the checks say about `requirement`: status, reason and evidence, or `None` when only a
/// declaration can evidence it.
fn check(requirement: &Requirement, facts: &Facts) -> Option<Checked> {
    Some(match requirement.check {
        Check::Declared => return None,
        Check::NoOpenVulnerabilities => audit_check(facts),
        Check::Remediation => remediation_check(facts),
        Check::Sbom => sbom_check(facts),
        Check::SignedUpdates | Check::Integrity | Check::UpdateDistribution => {
            signature_check(requirement.check, facts)
        }
        Check::RepositoryChecks | Check::Hardening | Check::SecurityTests => {
            match facts.gate.ran() {
                Some(gate) => gate_check(requirement.check, gate),
                None => (
                    Status::Missing,
                    skipped(&facts.gate, StepName::Gate, "gate result"),
                    Vec::new(),
                ),
            }
        }
        Check::Disclosure | Check::Advisories => match facts.notes_security.ran() {
            Some(security) => disclosure_check(requirement.check, facts, security),
            None => (
                Status::Missing,
                skipped(
                    &facts.notes_security,
                    StepName::Notes,
                    "release notes or advisories",
                ),
                Vec::new(),
            ),
        },
        Check::CvdPolicy => cvd_check(facts),
        Check::Contact => contact_check(facts),
    })
}

/// II.5: SECURITY.md as `crabox gate` checked it (every ISO/IEC 29147 element).
fn cvd_check(facts: &Facts) -> Checked {
    let mut files: Vec<String> = facts.cvd_policy.iter().cloned().collect();
    files.extend(gate_files(facts));
    match facts.gate.ran().and_then(|g| g.security_policy) {
        Some(true) => (
            Status::Pass,
            "SECURITY.md checked by `crabox gate`: a contact, what a report should hold, the disclosure terms and the versions that get fixes".into(),
            files,
        ),
        Some(false) => (
            Status::Fail,
            "`crabox gate`: SECURITY.md is a placeholder or lacks an element of a disclosure policy (see gate/results.json)".into(),
            files,
        ),
        None if facts.cvd_policy.is_some() => (
            Status::Missing,
            "a CVD policy is named (`[product] cvd-policy`) but `crabox gate` did not check a SECURITY.md".into(),
            files,
        ),
        None => (
            Status::Missing,
            "no CVD policy: set `[product] cvd-policy` (crabox init writes SECURITY.md)".into(),
            Vec::new(),
        ),
    }
}

/// II.6: a contact (`https:` or `mailto:`, checked when read) and a valid security.txt where
/// there is one.
fn contact_check(facts: &Facts) -> Checked {
    if facts.gate.ran().and_then(|g| g.security_txt) == Some(false) {
        return (
            Status::Fail,
            "`crabox gate`: security.txt is invalid or expired (RFC 9116)".into(),
            gate_files(facts),
        );
    }
    match &facts.security_contact {
        Some(contact) => (
            Status::Pass,
            format!(
                "security contact {contact}{}",
                if facts.gate.ran().and_then(|g| g.security_txt) == Some(true) {
                    "; security.txt valid (RFC 9116)"
                } else {
                    ""
                }
            ),
            gate_files(facts),
        ),
        None => (
            Status::Missing,
            "no security contact: set `[product] security-contact`".into(),
            Vec::new(),
        ),
    }
}

/// II.1: the SBOMs, holding the packages of every lockfile read; none read is nothing shown.
fn sbom_check(facts: &Facts) -> Checked {
    if facts.sboms.is_empty() {
        return (Status::Missing, NO_SBOM.to_owned(), Vec::new());
    }
    if facts.packages == 0 {
        return (
            Status::Missing,
            "the SBOMs list no package: no lockfile was read, so no component is identified".into(),
            facts.sboms.clone(),
        );
    }
    (Status::Pass, sbom_reason(facts), facts.sboms.clone())
}

type Checked = (Status, String, Vec<String>);

fn gate_files(facts: &Facts) -> Vec<String> {
    facts
        .gate
        .ran()
        .map(|g| g.files.clone())
        .unwrap_or_default()
}

/// The gate rows: attack surface (workflows, committed binaries), hardening of the artifacts,
/// and security test commands. They support a requirement the manufacturer's judgement
/// completes: `evidence` at best, `fail` on a violation, `missing` with nothing to check.
fn gate_check(check: Check, gate: &GateFacts) -> Checked {
    let files = gate.files.clone();
    let counted = |(failed, total): (usize, usize), what: &str| {
        if total == 0 {
            (
                Status::Missing,
                format!("nothing to check: no {what} checks applied"),
            )
        } else if failed == 0 {
            (Status::Evidence, format!("{total} {what} checks pass"))
        } else {
            (
                Status::Fail,
                format!("{failed} of {total} {what} checks fail"),
            )
        }
    };
    let (status, reason) = match check {
        Check::RepositoryChecks if gate.attack_surface.0 == 0 && !gate.ci_workflow => (
            Status::Missing,
            "no CI workflow to check: a repository without committed binaries shows nothing of the attack surface".into(),
        ),
        Check::RepositoryChecks => counted(gate.attack_surface, "workflow and committed-binary"),
        Check::Hardening => match gate.hardening {
            Some(counts) => counted(counts, "binary hardening"),
            None => (
                Status::Missing,
                "no artifact was inspected for hardening (`crabox bundle --artifact`)".into(),
            ),
        },
        _ => match gate.commands {
            Some((0, total)) if gate.failures == 0 => (
                Status::Evidence,
                format!(
                    "{total} security test command(s) pass and the gate has no failure{}",
                    if gate.ci_workflow {
                        "; a CI workflow runs on every change"
                    } else {
                        "; no CI workflow found"
                    }
                ),
            ),
            Some((0, total)) => (
                Status::Fail,
                format!(
                    "{total} security test command(s) pass, but {} check(s) of the gate fail",
                    gate.failures
                ),
            ),
            Some((failed, total)) => (
                Status::Fail,
                format!("{failed} of {total} security test command(s) fail"),
            ),
            None => (
                Status::Missing,
                "no security test commands: add `[gate] commands`".into(),
            ),
        },
    };
    (status, reason, files)
}

/// Why the SBOM row passes, with the lockfiles that were not read as the product.
fn sbom_reason(facts: &Facts) -> String {
    if facts.skipped_lockfiles == 0 {
        return format!("{} SBOM(s), validated when written", facts.sboms.len());
    }
    format!(
        "{} SBOM(s), validated when written; {} lockfile(s) under test, example, benchmark or documentation directories were not read as the product (manifest.json `inputs.skipped_lockfiles`; `[sbom] include` reads them)",
        facts.sboms.len(),
        facts.skipped_lockfiles
    )
}

/// Why the audit cannot give a pass although it found nothing open: nothing read, an
/// ecosystem no database covers, a stale database or one whose date is not known.
fn audit_gap(audit: &AuditFacts) -> Option<String> {
    if audit.packages == 0 {
        return Some("no package was read: the audit checked nothing".to_owned());
    }
    if !audit.unchecked.is_empty() {
        return Some(format!(
            "no open vulnerability in what was checked, but the {} dependencies were NOT checked: no advisory database given covers them",
            audit.unchecked.join(", ")
        ));
    }
    match audit.database_age_days {
        Some(age) if age > i64::from(audit.max_age_days) => Some(format!(
            "the advisory database is {age} days old, older than `[audit] max-age = {}`: run `crabox db update`",
            audit.max_age_days
        )),
        Some(_) => None,
        None => Some(
            "the advisory database's date is not known (a --db directory that is not the top of a git clone), so its freshness cannot be shown: use the cache (`crabox db update`) or a git clone of the database"
                .to_owned(),
        ),
    }
}

fn database_age(audit: &AuditFacts) -> String {
    match audit.database_age_days {
        Some(age) => format!("database {age} day(s) old"),
        None => "database date not known".to_owned(),
    }
}

/// I.2(a): no open vulnerability, on packages read, every ecosystem covered, a fresh database.
fn audit_check(facts: &Facts) -> Checked {
    let Some(audit) = facts.audit.ran() else {
        return (
            Status::Missing,
            skipped(&facts.audit, StepName::Audit, "audit"),
            Vec::new(),
        );
    };
    if audit.open > 0 {
        let plural = if audit.open == 1 { "y" } else { "ies" };
        return (
            Status::Fail,
            format!(
                "{} open vulnerabilit{plural} after VEX and ignores",
                audit.open
            ),
            audit.files.clone(),
        );
    }
    if let Some(gap) = audit_gap(audit) {
        return (Status::Missing, gap, audit.files.clone());
    }
    (
        Status::Pass,
        format!(
            "the audit of {} package(s) found no open vulnerability after VEX and ignores ({})",
            audit.packages,
            database_age(audit)
        ),
        audit.files.clone(),
    )
}

/// II.2: no vulnerability with a fix left open (an ignored one with a fix counts), and every
/// unfixed one under a VEX or mitigation statement (an open one has none).
fn remediation_check(facts: &Facts) -> Checked {
    let Some(audit) = facts.audit.ran() else {
        return (
            Status::Missing,
            skipped(&facts.audit, StepName::Audit, "audit"),
            Vec::new(),
        );
    };
    let with_fix = audit.open_with_fix + audit.ignored_with_fix;
    let unfixed = audit.open - audit.open_with_fix;
    if with_fix > 0 || unfixed > 0 {
        let mut why = Vec::new();
        if with_fix > 0 {
            why.push(format!(
                "{with_fix} vulnerabilit{} with a released fix not applied ({} of them ignored)",
                if with_fix == 1 { "y" } else { "ies" },
                audit.ignored_with_fix
            ));
        }
        if unfixed > 0 {
            why.push(format!(
                "{unfixed} without a fix and without a VEX or mitigation statement"
            ));
        }
        if let Some(oldest) = audit
            .vulnerabilities
            .iter()
            .filter(|v| v.age_days.is_some())
            .max_by_key(|v| (v.age_days, std::cmp::Reverse(&v.id)))
        {
            why.push(format!(
                "the oldest, {}, was published {} day(s) before this report",
                oldest.id,
                oldest.age_days.unwrap_or_default()
            ));
        }
        return (Status::Fail, why.join("; "), audit.files.clone());
    }
    if let Some(gap) = audit_gap(audit) {
        return (Status::Missing, gap, audit.files.clone());
    }
    (
        Status::Pass,
        "no vulnerability with a released fix is left open or ignored, and none is open without a fix".into(),
        audit.files.clone(),
    )
}

/// The signature rows: signatures (and for I.2(f) provenance) support the requirement; the
/// declaration of the update mechanism, runtime integrity or distribution channel completes it.
fn signature_check(check: Check, facts: &Facts) -> Checked {
    if facts.signatures.is_empty() {
        return (
            Status::Missing,
            skipped(&facts.sign, StepName::Sign, "signed artifact"),
            Vec::new(),
        );
    }
    let mut files = facts.signatures.clone();
    files.extend(facts.provenance.iter().cloned());
    files.extend(facts.checksums.iter().cloned());
    if check == Check::Integrity && facts.provenance.is_empty() {
        return (
            Status::Missing,
            "the artifacts are signed, but no provenance attests how they were built; a release signature does not show the integrity of data and configuration at run time".into(),
            files,
        );
    }
    let attestations = if facts.provenance.is_empty() {
        String::new()
    } else {
        format!(" and {} signed attestation(s)", facts.provenance.len())
    };
    let needs = match check {
        Check::SignedUpdates => "; how updates reach users is for the manufacturer to declare",
        Check::Integrity => "; integrity at run time is for the manufacturer to declare",
        _ => "; the distribution channel is for the manufacturer to declare",
    };
    (
        Status::Evidence,
        format!(
            "{} signature bundle(s){attestations}{needs}",
            facts.signatures.len()
        ),
        files,
    )
}

/// II.4 (fixed vulnerabilities disclosed in the notes: a pass) and II.8 (advisories written:
/// evidence): only when the notes could compare the audits of both releases.
fn disclosure_check(check: Check, facts: &Facts, security: &NotesFacts) -> Checked {
    let mut files = facts.notes.clone();
    files.extend(facts.csaf.iter().cloned());
    if let Some(why) = &security.not_audited {
        return (
            Status::Missing,
            format!("release notes written, but the dependencies were not audited: {why}"),
            files,
        );
    }
    if security.packages == 0 {
        return (
            Status::Missing,
            "release notes written, but neither release pins a package: nothing was compared"
                .to_owned(),
            files,
        );
    }
    // What was fixed is known only as far as the audit covered the packages with fresh data.
    if let Some(gap) = facts.audit.ran().and_then(audit_gap) {
        return (
            Status::Missing,
            format!(
                "release notes written, but which vulnerabilities were fixed or are known cannot be shown: {gap}"
            ),
            files,
        );
    }
    let plural = |n: usize| if n == 1 { "y" } else { "ies" };
    match (check, &security.previous) {
        (Check::Advisories, _) if facts.csaf.is_empty() => (
            Status::Evidence,
            "no vulnerability fixed or known in this release: no advisory is due; the publication policy is for the manufacturer to declare".to_owned(),
            files,
        ),
        (Check::Advisories, _) => (
            Status::Evidence,
            format!(
                "{} CSAF document(s) for {} fixed and {} known vulnerabilit{}; their publication is for the manufacturer to declare",
                facts.csaf.len(),
                security.fixed,
                security.known,
                plural(security.known)
            ),
            files,
        ),
        (_, None) => (
            Status::Evidence,
            format!(
                "no earlier release to compare with (the range starts at the first commit): no fixed vulnerability can be disclosed yet; the release notes list {} known vulnerabilit{}",
                security.known,
                plural(security.known)
            ),
            files,
        ),
        (_, Some(previous)) => (
            Status::Pass,
            format!(
                "both releases audited ({previous} and this one); the release notes disclose {} fixed vulnerabilit{}{}",
                security.fixed,
                plural(security.fixed),
                if security.unknown == 0 {
                    String::new()
                } else {
                    format!(
                        " and {} not known to be fixed (its lockfile is gone)",
                        security.unknown
                    )
                }
            ),
            files,
        ),
    }
}

/// Every row of the map for `facts`.
pub fn evaluate_all(facts: &Facts) -> Vec<Row> {
    REQUIREMENTS.iter().map(|r| evaluate(r, facts)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(rows: &'a [Row], id: &str) -> &'a Row {
        rows.iter().find(|r| r.id == id).unwrap()
    }

    #[test]
    fn with_nothing_every_row_is_missing_and_says_how_to_declare_it() {
        let rows = evaluate_all(&Facts::default());
        assert_eq!(rows.len(), REQUIREMENTS.len());
        assert!(
            rows.iter().all(|r| r.status == Status::Missing),
            "{rows:#?}"
        );
        let secure = row(&rows, "I.2(b)");
        assert_eq!(
            secure.declare_with.as_deref(),
            Some("[evidence]\nsecure-defaults = \"docs/security/secure-defaults.md\"")
        );
        assert!(
            row(&rows, "I.2(a)")
                .reason
                .contains("`crabox audit` not run")
        );
    }

    fn audit(open: usize, open_with_fix: usize) -> AuditFacts {
        AuditFacts {
            packages: 3,
            open,
            open_with_fix,
            ignored_with_fix: 0,
            database_age_days: Some(1),
            max_age_days: 7,
            files: vec!["audit/findings.json".into()],
            unchecked: Vec::new(),
            vulnerabilities: Vec::new(),
        }
    }

    #[test]
    fn an_audit_that_left_an_ecosystem_unchecked_does_not_pass() {
        let facts = Facts {
            sboms: vec!["sbom/app.cdx.json".into()],
            packages: 3,
            audit: Step::Ran(AuditFacts {
                unchecked: vec!["npm".into()],
                ..audit(0, 0)
            }),
            ..Facts::default()
        };
        let rows = evaluate_all(&facts);
        for id in ["I.2(a)", "II.2"] {
            let row = row(&rows, id);
            assert_eq!(row.status, Status::Missing, "{id}");
            assert!(
                row.reason.contains("npm dependencies were NOT checked"),
                "{id}: {}",
                row.reason
            );
        }
    }

    #[test]
    fn nothing_read_stale_data_and_ignored_fixes_give_no_pass() {
        // No package read: an SBOM and an audit of nothing show nothing.
        let empty = Facts {
            sboms: vec!["sbom/app.cdx.json".into()],
            audit: Step::Ran(AuditFacts {
                packages: 0,
                ..audit(0, 0)
            }),
            ..Facts::default()
        };
        let rows = evaluate_all(&empty);
        for id in ["I.2(a)", "II.1", "II.2"] {
            assert_eq!(row(&rows, id).status, Status::Missing, "{id}");
        }
        // A database older than max-age cannot give I.2(a) a pass.
        let stale = Facts {
            sboms: vec!["sbom/app.cdx.json".into()],
            packages: 3,
            audit: Step::Ran(AuditFacts {
                database_age_days: Some(30),
                ..audit(0, 0)
            }),
            ..Facts::default()
        };
        let rows = evaluate_all(&stale);
        assert_eq!(row(&rows, "I.2(a)").status, Status::Missing);
        assert!(row(&rows, "I.2(a)").reason.contains("30 days old"));
        assert_eq!(row(&rows, "II.1").status, Status::Pass);
        // An ignored vulnerability with a fix is not remediated.
        let ignored = Facts {
            packages: 3,
            audit: Step::Ran(AuditFacts {
                ignored_with_fix: 1,
                ..audit(0, 0)
            }),
            ..Facts::default()
        };
        let rows = evaluate_all(&ignored);
        assert_eq!(row(&rows, "I.2(a)").status, Status::Pass);
        assert_eq!(row(&rows, "II.2").status, Status::Fail);
        // An open one without a fix has no VEX or mitigation statement.
        let unfixed = Facts {
            packages: 3,
            audit: Step::Ran(audit(1, 0)),
            ..Facts::default()
        };
        assert_eq!(
            row(&evaluate_all(&unfixed), "II.2").reason,
            "1 without a fix and without a VEX or mitigation statement"
        );
    }

    #[test]
    fn signatures_and_gate_checks_are_evidence_until_declared() {
        let mut facts = Facts {
            signatures: vec!["artifacts/app.sigstore.json".into()],
            gate: Step::Ran(GateFacts {
                attack_surface: (0, 0),
                commands: Some((0, 1)),
                failures: 9,
                ..GateFacts::default()
            }),
            ..Facts::default()
        };
        let rows = evaluate_all(&facts);
        assert_eq!(row(&rows, "I.2(c)").status, Status::Evidence);
        assert_eq!(row(&rows, "II.7").status, Status::Evidence);
        // Signatures without provenance show nothing of run-time integrity.
        assert_eq!(row(&rows, "I.2(f)").status, Status::Missing);
        // Nothing to check is not a pass.
        assert_eq!(row(&rows, "I.2(j)").status, Status::Missing);
        // A passing command does not outweigh the gate's failures.
        assert_eq!(row(&rows, "II.3").status, Status::Fail);
        facts
            .declarations
            .insert("security-updates".into(), "declarations/updates.md".into());
        let rows = evaluate_all(&facts);
        assert_eq!(row(&rows, "I.2(c)").status, Status::Declared);
        assert_eq!(
            row(&rows, "I.2(c)").evidence,
            ["artifacts/app.sigstore.json", "declarations/updates.md"]
        );
    }

    #[test]
    fn checks_declarations_and_exemptions_set_the_status() {
        let mut facts = Facts {
            sboms: vec!["sbom/app.cdx.json".into()],
            packages: 3,
            audit: Step::Ran(audit(2, 0)),
            signatures: vec!["artifacts/app.tar.gz.sigstore.json".into()],
            provenance: vec!["attestations/slsa-provenance.sigstore.json".into()],
            ..Facts::default()
        };
        facts
            .declarations
            .insert("risk-assessment".into(), "declarations/risk.md".into());
        facts
            .not_applicable
            .insert("I.2(g)".into(), "stores no personal data".into());
        facts.gate = Step::NotRun(crabox_types::Reason::Refused("not built yet".into()));
        let rows = evaluate_all(&facts);
        assert_eq!(row(&rows, "II.1").status, Status::Pass);
        assert_eq!(row(&rows, "I.2(a)").status, Status::Fail);
        assert_eq!(
            row(&rows, "I.2(a)").reason,
            "2 open vulnerabilities after VEX and ignores"
        );
        assert_eq!(row(&rows, "II.2").status, Status::Fail);
        assert_eq!(row(&rows, "I.1").status, Status::Declared);
        assert_eq!(row(&rows, "I.1").evidence, ["declarations/risk.md"]);
        assert_eq!(row(&rows, "I.2(g)").status, Status::NotApplicable);
        assert_eq!(row(&rows, "I.2(f)").status, Status::Evidence);
        assert_eq!(row(&rows, "I.2(c)").status, Status::Evidence);
        assert_eq!(
            row(&rows, "II.3").reason,
            "`crabox gate` did not run: not built yet"
        );
    }
}
