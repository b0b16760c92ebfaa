//! The crabox command line as clap derive types. Only definitions live here: the binary runs
//! them, and `cargo xtask codegen` renders them into `docs/cli.md`.
//!
//! A subcommand is added here only when its step works: `--help` never lists something that
//! does not run.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use crabox_config::EnvVars;

/// crabox turns every build of a repository into a signed EU Cyber Resilience Act evidence
/// bundle.
#[derive(Debug, Parser)]
#[command(
    name = "crabox",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = "Exit status: 0 success, 1 policy failure, 2 usage or configuration error, 3 runtime error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every step takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Run as if started in DIR: the repository worked on; --path is read relative to it
    #[arg(short = 'C', value_name = "DIR", global = true)]
    pub directory: Option<PathBuf>,

    /// Configuration file [default: the nearest crabox.toml up to the repository root]
    #[arg(long, value_name = "FILE", global = true, env = EnvVars::CRABOX_CONFIG)]
    pub config: Option<PathBuf>,

    /// Output format of the data on stdout
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        global = true,
        default_value_t = Format::Human,
        env = EnvVars::CRABOX_FORMAT
    )]
    pub format: Format,

    /// Never touch the network; use only local databases and caches
    #[arg(
        long,
        global = true,
        env = EnvVars::CRABOX_OFFLINE,
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub offline: bool,

    /// More log output (-v debug, -vv trace)
    #[arg(short, long, action = ArgAction::Count, global = true, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Less log output (-q errors only, -qq nothing)
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub quiet: u8,

    /// When to use colour; NO_COLOR is honoured under `auto`
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        global = true,
        default_value_t = ColorChoice::Auto,
        env = EnvVars::CRABOX_COLOR
    )]
    pub color: ColorChoice,
}

/// Output format of the data a step prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people
    Human,
    /// JSON with a `schema_version`
    Json,
    /// GitHub-flavoured Markdown
    Markdown,
    /// SARIF 2.1.0, for code scanning
    Sarif,
    /// JUnit XML, for test reporters (`crabox gate`)
    Junit,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
        }
    }
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set
    Auto,
    Always,
    Never,
}

/// The steps. Each one's arguments are defined only when it is the one invoked (or help is
/// built): a run then sets up one step's arguments rather than every step's.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Write crabox.toml, SECURITY.md (CVD policy) and .github/workflows/crabox.yml starters
    Init(InitArgs),
    /// Print the resolved configuration (secrets redacted) as TOML, or JSON with --format json
    Config(ConfigArgs),
    /// SBOM of the repository and of given artifacts (CycloneDX 1.6 or SPDX 2.3 JSON)
    Sbom(SbomArgs),
    /// Vulnerabilities in the dependencies (RustSec, OSV), VEX-aware
    Audit(AuditArgs),
    /// Advisory databases in the cache: update (RustSec git, OSV exports), status (age, counts)
    Db(DbArgs),
    /// Sign artifacts: writes FILE.sigstore.json (Sigstore bundle v0.3) for each FILE
    Sign(SignArgs),
    /// Verify an artifact's Sigstore bundle, or an evidence bundle against its manifest
    Verify(VerifyArgs),
    /// Security regression gate: policy, baseline, security tests, repository and binary checks
    Gate(GateArgs),
    /// Release notes with a security section, CSAF 2.0 advisories and OpenVEX for a git range
    Notes(NotesArgs),
    /// Run the pipeline and write the CRA evidence bundle (directory and .tar.gz)
    Bundle(BundleArgs),
    /// Create the GitHub release of a tag: notes, bundle files as assets
    Publish(PublishArgs),
    /// Re-audit supported releases' SBOMs: new, newly exploited and newly fixed vulnerabilities
    Watch(WatchArgs),
}

#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// Evidence bundle (directory or `.tar.gz`), CycloneDX/SPDX JSON SBOM, a directory searched
    /// for them, `oci://REGISTRY/REPOSITORY[:TAG]` (no tag: every evidence tag; `*` in the tag:
    /// the tags it matches), or `github:OWNER/NAME` (the bundle archives of its published
    /// releases, through `GITHUB_API_URL` with `GITHUB_TOKEN` when set)
    #[arg(value_name = "SOURCE", required = true)]
    pub sources: Vec<PathBuf>,

    /// Advisory database: a RustSec directory, a tree of OSV JSON/YAML records or an OSV `.zip`
    /// export; repeatable [default: the databases of `[audit] sources` that `crabox db update`
    /// fetched]
    #[arg(long, value_name = "PATH")]
    pub db: Vec<PathBuf>,

    /// Watch only shard I of N of the sources (sorted; every N-th from the I-th), for a job
    /// matrix
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,

    /// State file: when each vulnerability, and each exploited one, was first seen, so the
    /// Article 14 clock survives runs (written back)
    #[arg(long, value_name = "FILE", default_value = "crabox-watch-state.json")]
    pub state: PathBuf,

    /// Known Exploited Vulnerabilities catalogue (CISA KEV JSON) [default: `[evidence]
    /// kev-catalog`]
    #[arg(long, value_name = "FILE")]
    pub kev: Option<PathBuf>,

    /// Talk to `oci://` registries over plain HTTP (a registry on loopback); HTTPS otherwise
    #[arg(long)]
    pub plain_http: bool,

    /// Write, per release with something new, the CSAF VEX document of its open
    /// vulnerabilities and the Article 14 draft records of the newly exploited ones under
    /// `DIR/PRODUCT-VERSION/`
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct PublishArgs {
    /// The release tag: its GitHub release is made
    #[arg(long, value_name = "TAG", required_unless_present = "oci")]
    pub tag: Option<String>,

    /// Push the evidence bundle to an OCI registry as an artifact
    /// (`application/vnd.crabox.evidence.v1`), e.g. `ghcr.io/acme/widget-evidence:v1.4.0`
    #[arg(long, value_name = "REF")]
    pub oci: Option<String>,

    /// Attach the pushed bundle as a referrer of this manifest (the release image's digest,
    /// `sha256:…`, in the same repository)
    #[arg(long, value_name = "DIGEST", requires = "oci")]
    pub subject: Option<String>,

    /// Talk to the registry over plain HTTP (a registry on loopback); HTTPS otherwise
    #[arg(long)]
    pub plain_http: bool,

    /// The evidence bundle whose archive, SBOMs, checksums, signatures and CSAF documents are
    /// attached [default: the bundle of the tag in crabox-evidence]
    #[arg(long, value_name = "BUNDLE")]
    pub bundle: Option<PathBuf>,

    /// Another file to attach (the release binaries and their Sigstore bundles); repeatable
    #[arg(long, value_name = "FILE")]
    pub asset: Vec<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct GateArgs {
    /// Directory (or lockfile) whose lockfiles the policy and baseline read. Without -C, the repository (git, workflows, SECURITY.md, crabox.toml) is the one that contains it; with -C, it must be inside -C
    /// [default: the repository root]
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,

    /// What to compare with: an earlier evidence bundle (directory or .tar.gz) or a git tag
    /// [default: `[gate] baseline`, the previous release tag]
    #[arg(long, value_name = "BUNDLE|TAG")]
    pub baseline: Option<String>,

    /// Advisory database; repeatable [default: the cached `[audit] sources`]
    #[arg(long, value_name = "PATH")]
    pub db: Vec<PathBuf>,

    /// An ELF binary whose hardening is checked; repeatable
    #[arg(long, value_name = "FILE")]
    pub artifact: Vec<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct NotesArgs {
    /// Directory (or lockfile) whose lockfiles are audited at both ends of the range. Without -C, the repository (git, workflows, SECURITY.md, crabox.toml) is the one that contains it; with -C, it must be inside -C
    /// [default: the repository root]
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,

    /// Start of the range, excluded (tag, branch or commit) [default: the previous release tag
    /// reachable from --to]
    #[arg(long, value_name = "REF")]
    pub from: Option<String>,

    /// End of the range, included [default: HEAD]
    #[arg(long, value_name = "REF")]
    pub to: Option<String>,

    /// Advisory database for the security section; repeatable [default: the cached `[audit]
    /// sources`]
    #[arg(long, value_name = "PATH")]
    pub db: Vec<PathBuf>,

    /// Write the notes to FILE (atomically) instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Write the CSAF 2.0 documents into DIR: the security advisory (when the release fixes a
    /// vulnerability) and the VEX document (when any is known)
    #[arg(long, value_name = "DIR")]
    pub csaf_dir: Option<PathBuf>,

    /// Write the release's OpenVEX document to FILE (when any vulnerability is known)
    #[arg(long, value_name = "FILE")]
    pub openvex: Option<PathBuf>,

    /// Print the template context as JSON instead of the notes
    #[arg(long)]
    pub context: bool,
}

#[derive(Debug, Clone, Args)]
pub struct BundleArgs {
    /// Directory (or lockfile) whose lockfiles the SBOM and audit read. Without -C, the repository (git, workflows, SECURITY.md, crabox.toml) is the one that contains it; with -C, it must be inside -C [default:
    /// the repository root]
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,

    /// The release the bundle is for: its version names the bundle, and the manifest records it
    /// [default: `[product] version`]
    #[arg(long, value_name = "TAG")]
    pub release: Option<String>,

    /// Where bundles are written: `<out>/<product>-<version>/` and its `.tar.gz`
    /// [default: crabox-evidence]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Do not sign the manifest or the artifacts (the report says so)
    #[arg(long)]
    pub no_sign: bool,

    /// Advisory database for the audit; repeatable [default: the cached `[audit] sources`]
    #[arg(long, value_name = "PATH")]
    pub db: Vec<PathBuf>,

    /// A release artifact: hashed into the SBOM and `artifacts/SHA256SUMS`, and signed;
    /// repeatable
    #[arg(long, value_name = "FILE")]
    pub artifact: Vec<PathBuf>,
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["files", "generate_key"])))]
pub struct SignArgs {
    /// Artifacts to sign; each gets FILE.sigstore.json
    #[arg(value_name = "FILE", conflicts_with = "generate_key")]
    pub files: Vec<PathBuf>,

    /// cosign-format encrypted private key (password in `CRABOX_KEY_PASSWORD`) [default: `[sign]
    /// key`]
    #[arg(long, value_name = "KEYFILE")]
    pub key: Option<PathBuf>,

    /// Directory for the bundles [default: beside each FILE]
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// Sign an in-toto attestation about each FILE instead of the file itself, written as
    /// `FILE.<TYPE>.sigstore.json` (DSSE, in-toto Statement v1, the file's digest as subject)
    #[arg(long, value_enum, value_name = "TYPE")]
    pub attest: Option<AttestType>,

    /// The predicate for `--attest`: the SBOM (cyclonedx, spdx), a `crabox audit --format json`
    /// report (vulns) or a test-result predicate (test-result); provenance needs none
    #[arg(long, value_name = "FILE", requires = "attest")]
    pub predicate: Option<PathBuf>,

    /// Write a new key pair, PREFIX.key (encrypted with `CRABOX_KEY_PASSWORD`, mode 0600) and
    /// PREFIX.pub, instead of signing
    #[arg(long, value_name = "PREFIX")]
    pub generate_key: Option<PathBuf>,
}

/// What `crabox sign --attest` attests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AttestType {
    /// SLSA provenance v1 of the GitHub Actions run (from its environment)
    SlsaProvenance,
    /// A CycloneDX SBOM (`--predicate`)
    Cyclonedx,
    /// An SPDX 2.3 SBOM (`--predicate`)
    Spdx,
    /// Vulnerabilities, in-toto vulns v0.2, from `crabox audit --format json` (`--predicate`)
    Vulns,
    /// Test results, in-toto test-result v0.1 (`--predicate`)
    TestResult,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// The artifact the bundle signs; without --bundle, an evidence bundle (directory,
    /// `.tar.gz` or `oci://REGISTRY/REPOSITORY:TAG`) to check against its manifest
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Its Sigstore bundle (FILE.sigstore.json)
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,

    /// Public key (PEM) for a key-based bundle
    #[arg(long, value_name = "PUBFILE", conflicts_with_all = ["certificate_identity", "certificate_identity_regexp", "certificate_oidc_issuer"])]
    pub key: Option<PathBuf>,

    /// Sigstore trusted root (JSON) [default: the public-good root built into crabox]
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,

    /// Certificate identity (e-mail address or URI, e.g. a workflow ref) the signer must have
    #[arg(
        long,
        value_name = "IDENTITY",
        conflicts_with = "certificate_identity_regexp"
    )]
    pub certificate_identity: Option<String>,

    /// Regular expression the whole certificate identity must match
    #[arg(long, value_name = "REGEX")]
    pub certificate_identity_regexp: Option<String>,

    /// OIDC issuer of the certificate, e.g. `https://token.actions.githubusercontent.com`
    #[arg(long, value_name = "URL")]
    pub certificate_oidc_issuer: Option<String>,

    /// Talk to the registry of an `oci://` bundle over plain HTTP (a registry on loopback);
    /// HTTPS otherwise
    #[arg(long)]
    pub plain_http: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    #[command(subcommand)]
    pub command: DbCommand,
}

// `crabox db` subcommands (a plain comment: a doc comment would become the help text of `db`).
#[derive(Debug, Clone, Subcommand)]
#[command(defer = true)]
pub enum DbCommand {
    /// Fetch the databases of `[audit] sources` into the cache (RustSec: shallow git clone, then
    /// fetch; OSV: the osv.dev exports), swapping each in atomically
    Update,
    /// Show each cached database: origin, commit or export date, records and age (older than 7
    /// days: a warning)
    Status,
}

#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// Directory (or lockfile) to audit. Without -C, the repository (git, workflows, SECURITY.md, crabox.toml) is the one that contains it; with -C, it must be inside -C [default: the repository root]
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,

    /// Advisory database: a RustSec directory, a tree of OSV JSON/YAML records or an OSV `.zip`
    /// export; repeatable [default: the databases of `[audit] sources` that `crabox db update`
    /// fetched]
    #[arg(long, value_name = "PATH")]
    pub db: Vec<PathBuf>,

    /// Lowest severity that fails the audit (exit 1); unknown severity counts as high
    /// [default: `[audit] fail-on`, else low]
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Also write an OpenVEX document with the status of every vulnerability
    #[arg(long, value_name = "FILE")]
    pub openvex: Option<PathBuf>,

    /// Do not fail when the lockfiles have an ecosystem no database covers (it is still reported
    /// as not checked)
    #[arg(long)]
    pub allow_unchecked: bool,
}

/// `--fail-on` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Low,
    Medium,
    High,
    Critical,
    /// Never fail
    None,
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Overwrite files that already exist
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct SbomArgs {
    /// Directory (or lockfile) to scan. Without -C, the repository (git, workflows, SECURITY.md, crabox.toml) is the one that contains it; with -C, it must be inside -C [default: the repository root]
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,

    /// SBOM format [default: the first of `[sbom] formats`, else cyclonedx-json]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub sbom_format: Option<SbomFormatArg>,

    /// A built artifact to hash (SHA-256, SHA-512) and describe as the product; repeatable. What
    /// a Go binary's build information, a Rust binary's `cargo auditable` data or a Java
    /// archive's (and its nested archives') `pom.properties` say was linked is listed (and
    /// audited) too
    #[arg(long, value_name = "FILE")]
    pub artifact: Vec<PathBuf>,

    /// A container image or root file system whose operating-system packages (dpkg, apk) the
    /// SBOM lists: a root directory, an OCI image layout directory, or a `docker save` / OCI
    /// archive (.tar, .tar.gz); repeatable, added to `[sbom] images`
    #[arg(long, value_name = "PATH")]
    pub image: Vec<PathBuf>,

    /// A supplier's SBOM (CycloneDX 1.4–1.6 or SPDX 2.2–2.3 JSON) whose components are
    /// components of the product; repeatable, added to `[sbom] import`
    #[arg(long = "import", value_name = "FILE")]
    pub import: Vec<PathBuf>,

    /// Write the SBOM to FILE (atomically) instead of stdout
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// SBOM formats on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SbomFormatArg {
    /// CycloneDX 1.6 JSON
    CyclonedxJson,
    /// SPDX 2.3 JSON
    SpdxJson,
    /// SPDX 3.0.1 JSON-LD
    Spdx3Json,
}

#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// Print the JSON Schema of crabox.toml instead (for editors)
    #[arg(long)]
    pub schema: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_go_anywhere() {
        let cli = Cli::try_parse_from(["crabox", "config", "-C", "x", "--format", "json", "-vv"])
            .unwrap();
        assert_eq!(cli.global.directory, Some(PathBuf::from("x")));
        assert_eq!(cli.global.format, Format::Json);
        assert_eq!(cli.global.verbose, 2);
        let err = Cli::try_parse_from(["crabox", "-q", "-v", "config"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
    }
}
