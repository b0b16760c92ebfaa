//! The advisory databases of a run: `--db` paths, else the cached copies of `[audit] sources`
//! (filled first when the cache lacks one and the network is allowed, as cargo-audit fetches),
//! loaded once for every inventory the run audits; and the yanked-crate lookup, done once for
//! the crates of all of them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crabox_audit::store::{Origins, State, Store};
use crabox_config::file::AdvisorySource;
use crabox_report::Finding;
use crabox_sbom::Inventory;
use crabox_types::codes;
use rayon::prelude::*;

use crate::{Error, Reason, Run, Step};

/// Age in days above which a database is stale.
pub const STALE_DAYS: i64 = 7;

/// The store of the cache directory.
pub fn store(run: &Run<'_>) -> Result<Store, Error> {
    let cache = run.cache_dir.as_ref().ok_or(Error::NoCacheDir)?;
    Ok(Store::new(cache))
}

/// The names of the databases `[audit] sources` stands for (`rustsec`, `osv/<ecosystem>`).
pub fn source_names(settings: &crabox_config::Settings) -> Vec<String> {
    let mut names = Vec::new();
    for source in &settings.audit.sources {
        match source {
            AdvisorySource::Rustsec => names.push("rustsec".to_owned()),
            AdvisorySource::Osv => names.extend(
                settings
                    .audit
                    .osv_ecosystems
                    .iter()
                    .map(|e| format!("osv/{e}")),
            ),
        }
    }
    names
}

/// Whole days since the database's own date.
pub fn age_days(state: &State) -> i64 {
    (crabox_types::unix_now() - state.date).max(0) / 86_400
}

/// A warning for a source of `[audit] sources` that is not in the cache; during an audit it
/// also says that the source was not checked.
pub fn missing_source(name: &str, auditing: bool) -> Finding {
    let (consequence, help) = if auditing {
        (": not checked", "run `crabox db update`, or pass --db PATH")
    } else {
        ("", "run `crabox db update`")
    };
    Finding::warning(
        codes::AUDIT_SOURCE_MISSING,
        format!("`{name}` (from `[audit] sources`) is not in the cache{consequence}"),
    )
    .with_help(help)
}

/// A warning for a database older than [`STALE_DAYS`].
pub fn stale_warning(state: &State) -> Option<Finding> {
    let age = age_days(state);
    (age > STALE_DAYS).then(|| {
        Finding::warning(
            codes::DB_STALE,
            format!(
                "the `{}` database is {age} days old (newer advisories are not in it)",
                state.name
            ),
        )
        .with_help("run `crabox db update`")
    })
}

/// Fetches one source of `[audit] sources` (`rustsec` or `osv/<ecosystem>`) into the store.
pub fn update(run: &Run<'_>, store: &Store, name: &str) -> Result<State, crabox_audit::AuditError> {
    let audit = &run.settings().audit;
    let origins = Origins {
        rustsec: audit.rustsec_url.clone(),
        osv: audit.osv_url.clone(),
        osv_ecosystems: audit.osv_ecosystems.clone(),
    };
    let _progress = run.progress.start(&format!("updating {name}"));
    match name.strip_prefix("osv/") {
        Some(ecosystem) => store.update_osv(&origins.osv, ecosystem),
        None => store.update_rustsec(&origins.rustsec),
    }
}

/// A cached database: its path and its snapshot date (Unix seconds).
pub type Cached = (PathBuf, i64);

/// The cached databases for `[audit] sources`, with warnings for missing and stale ones. A
/// source missing from the cache is fetched first when the network is allowed.
pub fn cached(run: &Run<'_>) -> Result<(Vec<Cached>, Vec<Finding>), Error> {
    let store = store(run)?;
    let mut paths = Vec::new();
    let mut notices = Vec::new();
    // The OSV exports all come from one server: once it could not be reached, the others are not
    // tried (each try would wait through its retries for the same answer).
    let mut osv_failed = false;
    for name in source_names(run.settings()) {
        let osv = name.starts_with("osv/");
        let state = match store.state(&name) {
            Some(state) => Some(state),
            None if osv && osv_failed => {
                notices.push(
                    Finding::warning(
                        codes::DB_UPDATE_FAILED,
                        format!("`{name}` not fetched into the empty cache: the OSV server could not be reached for an earlier ecosystem"),
                    )
                    .with_help("run `crabox db update` when the network is there, or pass --db PATH"),
                );
                None
            }
            None if !run.settings().offline => {
                tracing::info!("audit: `{name}` is not in the cache: fetching it first");
                match update(run, &store, &name) {
                    Ok(state) => Some(state),
                    Err(err) => {
                        // Only a server that could not be reached (a missing export is
                        // that ecosystem's own answer).
                        osv_failed |=
                            osv && matches!(err, crabox_audit::AuditError::Unreachable { .. });
                        notices.push(
                            Finding::warning(
                                codes::DB_UPDATE_FAILED,
                                format!("could not fetch `{name}` into the empty cache: {err}"),
                            )
                            .with_help("run `crabox db update` when the network is there, or pass --db PATH"),
                        );
                        None
                    }
                }
            }
            None => None,
        };
        match state {
            Some(state) => {
                notices.extend(stale_warning(&state));
                paths.push((store.path(&state), state.date));
            }
            None => notices.push(missing_source(&name, true)),
        }
    }
    Ok((paths, notices))
}

/// The crates.io packages looked up in the index, and those found yanked.
#[derive(Debug, Clone, Default)]
pub struct Yanked {
    /// `(name, version)` looked up with an answer.
    pub answered: HashSet<(String, String)>,
    /// `(name, version)` marked yanked.
    pub yanked: HashSet<(String, String)>,
    /// Why a lookup failed, or `offline`.
    pub reason: Option<String>,
}

/// The databases and the yanked lookup a run audits with.
pub struct Databases {
    pub advisory: Vec<crabox_audit::Database>,
    /// What the reports say of each database (path as the user reads it).
    pub info: Vec<crabox_audit::render::DatabaseInfo>,
    /// The snapshot date (Unix seconds) of the oldest database, when every one has a known
    /// date (see [`Databases::snapshots`]).
    pub oldest: Option<i64>,
    /// Each database's snapshot date (Unix seconds), in the order of `info`: the cache's date
    /// of the fetch; for a `--db` path, the time of the last commit when it is the root of a git
    /// repository (the data is at least that recent), else not known.
    pub snapshots: Vec<Option<i64>>,
    pub yanked: Yanked,
}

/// Opens the databases `db` names (else the cached `[audit] sources`) for the packages of
/// `inventories`, and looks up their crates.io packages in the index unless offline. No
/// database at all is a step that cannot run; a database with no advisory is an error (an
/// audit with it would pass on nothing). Also returns the warnings about the sources (missing,
/// stale, not fetched, malformed advisories, yanked crates not looked up).
pub fn open(
    run: &Run<'_>,
    db: &[PathBuf],
    inventories: &[&Inventory],
) -> anyhow::Result<(Step<Databases>, Vec<Finding>)> {
    let (paths, snapshots, mut notices): (Vec<PathBuf>, Vec<Option<i64>>, _) = if db.is_empty() {
        let (cached, notices) = cached(run)?;
        let (paths, dates) = cached.into_iter().map(|(p, date)| (p, Some(date))).unzip();
        (paths, dates, notices)
    } else {
        let paths: Vec<PathBuf> = db.iter().map(|p| run.scope.dir.join(p)).collect();
        let dates = paths.iter().map(|p| snapshot_of(p)).collect();
        (paths, dates, Vec::new())
    };
    // Only when every date is known: an unknown one could be the oldest.
    let oldest = snapshots
        .iter()
        .copied()
        .collect::<Option<Vec<i64>>>()
        .and_then(|dates| dates.into_iter().min());
    if paths.is_empty() {
        // Said plainly: offline, an empty cache is not filled; online, filling it failed.
        let detail = if !db.is_empty() || run.settings().audit.sources.is_empty() {
            None
        } else if run.settings().offline {
            Some("offline: the empty cache was not filled; `crabox db update` fills it".to_owned())
        } else {
            Some("filling the cache failed; see the warnings".to_owned())
        };
        return Ok((Step::NotRun(Reason::NoDatabase { detail }), notices));
    }
    let advisory = load(run, &paths, inventories)?;
    for database in &advisory {
        for (file, why) in &database.skipped {
            notices.push(
                Finding::warning(
                    codes::AUDIT_ADVISORY_SKIPPED,
                    format!("skipped a malformed advisory: {why}"),
                )
                .with_location(crabox_report::Location::file(run.scope.show(file))),
            );
        }
    }
    let info = advisory
        .iter()
        .map(|d| crabox_audit::render::DatabaseInfo {
            source: d.kind.to_owned(),
            path: run.scope.show(&d.path),
            id: d.id.clone(),
            records: d.records,
        })
        .collect();
    let yanked = yanked(run, inventories, &mut notices);
    Ok((
        Step::Ran(Databases {
            advisory,
            info,
            oldest,
            snapshots,
            yanked,
        }),
        notices,
    ))
}

/// The snapshot date of a database given with `--db`: the time of its last commit when the
/// path is the top of a git work tree (a RustSec clone), else not known. A directory inside
/// another repository (the project's own) tells nothing about the data's age.
fn snapshot_of(path: &Path) -> Option<i64> {
    let repo = crabox_git::Repo::discover(path).ok()??;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(&repo.root(), path) {
        return None;
    }
    repo.head_commit().ok()?.map(|c| c.time)
}

fn load(
    run: &Run<'_>,
    paths: &[PathBuf],
    inventories: &[&Inventory],
) -> anyhow::Result<Vec<crabox_audit::Database>> {
    let _progress = run.progress.start("loading advisory databases");
    let count = inventories
        .iter()
        .flat_map(|i| &i.lockfiles)
        .map(|l| l.packages.len())
        .sum();
    let mut wanted = crabox_audit::db::Wanted::default();
    wanted.reserve(count);
    for package in inventories
        .iter()
        .flat_map(|i| &i.lockfiles)
        .flat_map(|l| &l.packages)
    {
        let Some((name, version)) = crabox_audit::db::package_key(package) else {
            continue;
        };
        let versions = wanted.entry((package.ecosystem, name)).or_default();
        if !versions.contains(&version) {
            versions.push(version);
        }
    }
    let cache = run.cache_dir.as_deref();
    let open = |p: &PathBuf| crabox_audit::Database::open_for(p, &wanted, cache);
    // One indexed database loads in a millisecond: no thread pool for it.
    let databases = if paths.len() > 1 {
        paths.par_iter().map(open).collect::<Result<Vec<_>, _>>()?
    } else {
        paths.iter().map(open).collect::<Result<Vec<_>, _>>()?
    };
    if let Some(empty) = databases.iter().find(|d| d.records == 0) {
        return Err(Error::EmptyDatabase {
            path: run.scope.show(&empty.path),
            skipped: empty.skipped.len(),
        }
        .into());
    }
    Ok(databases)
}

/// Looks up the crates.io packages of `inventories` (each `(name, version)` once) unless
/// offline; a warning says how many were not looked up and why.
fn yanked(run: &Run<'_>, inventories: &[&Inventory], notices: &mut Vec<Finding>) -> Yanked {
    let settings = run.settings();
    let mut seen = HashSet::new();
    let mut union = crabox_types::component::Lockfile {
        path: String::new(),
        format: crabox_types::component::Format::CargoLock,
        packages: Vec::new(),
        direct: Vec::new(),
        complete: true,
        graph_complete: true,
        diagnostics: Vec::new(),
    };
    for lockfile in inventories.iter().flat_map(|i| &i.lockfiles) {
        for &(_, p) in &crabox_audit::yanked::candidates(std::slice::from_ref(lockfile)) {
            let package = &lockfile.packages[p];
            if seen.insert((package.name.clone(), package.version.clone())) {
                union.packages.push(package.clone());
            }
        }
    }
    if union.packages.is_empty() {
        return Yanked::default();
    }
    let mut out = Yanked::default();
    if settings.offline {
        out.reason = Some("offline".to_owned());
    } else {
        let _progress = run.progress.start("looking up yanked crates");
        let lockfiles = [union];
        let found = crabox_audit::yanked::check(&lockfiles, &settings.audit.index_url);
        let packages = &lockfiles[0].packages;
        let key = |p: usize| (packages[p].name.clone(), packages[p].version.clone());
        out.yanked = found.yanked.iter().map(|&(_, p)| key(p)).collect();
        out.answered = found.answered.iter().map(|&(_, p)| key(p)).collect();
        out.reason = found.reason;
    }
    let unanswered = seen.len() - out.answered.len();
    if unanswered > 0 {
        let check = crabox_audit::policy::YankedCheck {
            checked: out.answered.len(),
            unchecked: unanswered,
            reason: out.reason.clone(),
        };
        let finding = Finding::warning(codes::AUDIT_YANKED_UNCHECKED, check.describe());
        notices.push(if settings.offline {
            finding
        } else {
            finding.with_help(format!(
                "the index at {} did not answer; `[audit] index-url` names another",
                settings.audit.index_url
            ))
        });
    }
    out
}
