//! Finding, reading and layering the configuration: defaults < `crabox.toml` < `CRABOX_*`
//! environment variables < command-line flags.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::de::{DeTable, DeValue};

use crate::env::EnvVars;
use crate::error::{ConfigError, InvalidConfig, InvalidKind};
use crate::schema::{self, Shape};
use crate::settings::Settings;
use crate::{ConfigFile, env, suggest};

/// The file name crabox looks for.
pub const FILE_NAME: &str = "crabox.toml";

/// The directory to start from, the explicit file if any, and how to read the environment.
pub struct LoadOptions<'a> {
    /// Working directory (`-C DIR`, else the current directory).
    pub dir: PathBuf,
    /// `--config FILE` or `CRABOX_CONFIG`: used as is, and an error when missing.
    pub config: Option<PathBuf>,
    /// Reads an environment variable; tests pass a map, the binary `std::env::var`.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Names of the variables set, when known: without a `CRABOX_<SECTION>_<KEY>` among them the
    /// overrides are not looked for. `None` looks for every one.
    pub env_names: Option<Vec<String>>,
}

/// The resolved configuration and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub settings: Settings,
    /// The file that was read, if any.
    pub file: Option<PathBuf>,
    /// The `CRABOX_*` variables that overrode keys, in file order.
    pub env_overrides: Vec<String>,
    /// The repository root (the nearest ancestor of `dir` holding `.git`), if any.
    pub repo_root: Option<PathBuf>,
    /// The manifest that supplied `[product] name` or `version`, when the configuration did not.
    pub product_from: Option<PathBuf>,
}

/// The nearest ancestor of `dir` (itself included) that holds `.git`.
pub fn repo_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The `crabox.toml` that applies in `dir`: the nearest one walking up from `dir`, stopping at
/// the repository root.
pub fn discover(dir: &Path) -> Option<PathBuf> {
    for ancestor in dir.ancestors() {
        let candidate = ancestor.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if ancestor.join(".git").exists() {
            break;
        }
    }
    None
}

/// Loads the configuration that applies in `options.dir`.
pub fn load(options: &LoadOptions<'_>) -> Result<Loaded, ConfigError> {
    let file = match &options.config {
        Some(path) => Some(if path.is_absolute() {
            path.clone()
        } else {
            options.dir.join(path)
        }),
        None => discover(&options.dir),
    };
    let mut file_layer = ConfigFile::default();
    if let Some(path) = &file {
        let text = fs_err::read_to_string(path)
            .map(crabox_types::encoding::without_bom)
            .map_err(|err| ConfigError::Read {
                path: path.clone(),
                source: err,
            })?;
        file_layer = parse(path, &text)?;
    }
    // Environment overrides are merged as TOML values into the file layer, which is
    // re-serialized only when there is something to merge.
    let mut table: Option<toml::Table> = None;
    let mut env_overrides = Vec::new();
    // Building the key list walks the whole schema: skipped when no variable can be one.
    let may_override = options.env_names.as_ref().is_none_or(|names| {
        names.iter().any(|name| {
            name.starts_with("CRABOX_") && !EnvVars::ALL.iter().any(|(known, _)| known == name)
        })
    });
    let keys = if may_override {
        env::config_keys()
    } else {
        Vec::new()
    };
    for env_key in keys {
        let Some(raw) = (options.env)(&env_key.var) else {
            continue;
        };
        let value = env::parse_value(&env_key.key.shape, &raw).map_err(|err| ConfigError::Env {
            var: env_key.var.clone(),
            key: env_key.path.join("."),
            message: err.message,
            help: err.suggestion.map(|s| format!("did you mean `{s}`?")),
        })?;
        let table = table.get_or_insert_with(|| {
            toml::Table::try_from(&file_layer).expect("the file layer serializes as TOML")
        });
        insert(table, &env_key.path, value);
        env_overrides.push(env_key.var);
    }
    if let Some(table) = table {
        file_layer =
            ConfigFile::deserialize(toml::Value::Table(table)).map_err(|err| ConfigError::Env {
                var: env_overrides.join(", "),
                key: String::new(),
                message: err.message().to_owned(),
                help: None,
            })?;
    }
    let mut settings = Settings::resolve(file_layer, options.env);
    let repo_root = repo_root(&options.dir);
    let mut product_from = None;
    let product = &mut settings.product;
    if product.name.is_none() || product.version.is_none() {
        let base = repo_root.as_deref().unwrap_or(&options.dir);
        if let Some(facts) = crate::manifest::detect(base) {
            let mut used = false;
            if product.name.is_none() && facts.name.is_some() {
                product.name = facts.name;
                used = true;
            }
            if product.version.is_none() && facts.version.is_some() {
                product.version = facts.version;
                used = true;
            }
            product_from = used.then_some(facts.file);
        }
    }
    Ok(Loaded {
        settings,
        file,
        env_overrides,
        repo_root,
        product_from,
    })
}

fn insert(table: &mut toml::Table, path: &[String], value: toml::Value) {
    let (last, parents) = path.split_last().expect("an env key has a path");
    let mut current = table;
    for parent in parents {
        let entry = current
            .entry(parent.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry
            .as_table_mut()
            .expect("the file layer validated this as a table");
    }
    current.insert(last.clone(), value);
}

/// Parses the text of a configuration file into its typed layer.
pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
    toml::from_str(text).map_err(|err| ConfigError::Invalid(Box::new(locate(path, text, &err))))
}

/// A path segment inside the document.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn dotted(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Index(index) => {
                let _ = write!(out, "[{index}]");
            }
        }
    }
    out
}

fn table_name(path: &[Segment]) -> String {
    if path.is_empty() {
        "the top level".to_owned()
    } else {
        format!("`[{}]`", dotted(path))
    }
}

/// What the error's span covers: a key or a value, and its path.
#[derive(Debug)]
enum Target {
    Key(Vec<Segment>),
    Value(Vec<Segment>),
}

fn find_span(table: &DeTable<'_>, span: &Range<usize>, path: &mut Vec<Segment>) -> Option<Target> {
    for (key, value) in table {
        path.push(Segment::Key(key.get_ref().to_string()));
        if key.span() == *span {
            return Some(Target::Key(path.clone()));
        }
        if let Some(found) = find_in_value(value.get_ref(), value.span(), span, path) {
            return Some(found);
        }
        path.pop();
    }
    None
}

fn find_in_value(
    value: &DeValue<'_>,
    value_span: Range<usize>,
    span: &Range<usize>,
    path: &mut Vec<Segment>,
) -> Option<Target> {
    match value {
        DeValue::Table(inner) => {
            if let Some(found) = find_span(inner, span, path) {
                return Some(found);
            }
        }
        DeValue::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(Segment::Index(index));
                if let Some(found) = find_in_value(item.get_ref(), item.span(), span, path) {
                    return Some(found);
                }
                path.pop();
            }
        }
        _ => {}
    }
    (value_span == *span).then(|| Target::Value(path.clone()))
}

fn line_column(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before, |nl| &before[nl + 1..])
        .chars()
        .count()
        + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// Between backticks after `prefix` in a serde message, e.g. the key of "unknown field `x`".
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split('`').next()
}

fn names(path: &[Segment]) -> Vec<&str> {
    path.iter()
        .filter_map(|s| match s {
            Segment::Key(key) => Some(key.as_str()),
            Segment::Index(_) => None,
        })
        .collect()
}

/// Turns a TOML or serde error into a located, explained [`InvalidConfig`].
fn locate(path: &Path, text: &str, err: &toml::de::Error) -> InvalidConfig {
    let span = err.span().unwrap_or(0..0);
    let (line, column) = line_column(text, span.start);
    let raw = err.message().trim().to_owned();
    let mut out = InvalidConfig {
        kind: InvalidKind::InvalidValue,
        path: path.to_owned(),
        line,
        column,
        span: span.clone(),
        key: None,
        message: raw.clone(),
        label: String::new(),
        help: None,
        source_text: Arc::from(text),
    };
    let Ok(document) = DeTable::parse(text) else {
        out.kind = InvalidKind::Syntax;
        out.message = format!("invalid TOML: {raw}");
        "here".clone_into(&mut out.label);
        return out;
    };
    let target = find_span(document.get_ref(), &span, &mut Vec::new());
    if let Some(unknown) = quoted_after(&raw, "unknown field ") {
        let parent = match &target {
            Some(Target::Key(p)) => p[..p.len() - 1].to_vec(),
            _ => Vec::new(),
        };
        unknown_key(&mut out, unknown, &parent);
    } else if let Some(missing) = quoted_after(&raw, "missing field ") {
        let parent = match target {
            Some(Target::Value(p) | Target::Key(p)) => p,
            None => Vec::new(),
        };
        missing_key(&mut out, missing, &parent);
    } else {
        let value_path = match target {
            Some(Target::Value(p) | Target::Key(p)) => p,
            None => Vec::new(),
        };
        invalid_value(&mut out, &raw, &value_path);
    }
    out
}

fn unknown_key(out: &mut InvalidConfig, unknown: &str, parent: &[Segment]) {
    let mut key_path = parent.to_vec();
    key_path.push(Segment::Key(unknown.to_owned()));
    out.kind = InvalidKind::UnknownKey;
    out.key = Some(dotted(&key_path));
    out.message = format!("unknown key `{unknown}` in {}", table_name(parent));
    out.label = format!("not a key of {}", table_name(parent));
    let valid = schema::table_keys(names(parent)).unwrap_or_default();
    out.help = Some(
        match suggest::nearest(unknown, valid.iter().map(|k| k.name.as_str())) {
            Some(near) => format!("did you mean `{near}`?"),
            None => match elsewhere(unknown) {
                Some(home) => format!("`{unknown}` is a key of `[{home}]`; move it there"),
                None => format!(
                    "the keys of {} are: {}",
                    table_name(parent),
                    valid
                        .iter()
                        .map(|k| format!("`{}`", k.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
        },
    );
}

fn missing_key(out: &mut InvalidConfig, missing: &str, parent: &[Segment]) {
    let mut key_path = parent.to_vec();
    key_path.push(Segment::Key(missing.to_owned()));
    out.kind = InvalidKind::MissingKey;
    out.key = Some(dotted(&key_path));
    out.message = format!("missing key `{missing}` in `{}`", dotted(parent));
    out.label = format!("`{missing}` is required here");
    if let Some(key) = schema::key_at(&names(&key_path)) {
        out.help = Some(format!("`{missing}`: {}", first_sentence(&key.description)));
    }
}

fn invalid_value(out: &mut InvalidConfig, raw: &str, value_path: &[Segment]) {
    out.kind = InvalidKind::InvalidValue;
    out.key = Some(dotted(value_path)).filter(|k| !k.is_empty());
    out.message = match &out.key {
        Some(key) => format!("invalid value for `{key}`: {raw}"),
        None => format!("invalid value: {raw}"),
    };
    "this value".clone_into(&mut out.label);
    let key = schema::key_at(&names(value_path));
    if let (Some(variant), Some(key)) = (quoted_after(raw, "unknown variant "), key) {
        let variants = match &key.shape {
            Shape::Enum(v) => Some(v),
            Shape::Array(item) => match &**item {
                Shape::Enum(v) => Some(v),
                _ => None,
            },
            _ => None,
        };
        if let Some(near) =
            variants.and_then(|v| suggest::nearest(variant, v.iter().map(String::as_str)))
        {
            out.help = Some(format!("did you mean `\"{near}\"`?"));
        }
    }
    if let (None, Some(key)) = (&out.help, key) {
        out.help = Some(format!(
            "expected {}: {}",
            key.shape.describe(),
            first_sentence(&key.description)
        ));
    }
}

fn first_sentence(text: &str) -> String {
    let flat = text.replace('\n', " ");
    match flat.find(". ") {
        Some(end) => flat[..=end].to_owned(),
        None => flat,
    }
}

/// The section, if any, where `key` is a valid key.
fn elsewhere(key: &str) -> Option<String> {
    schema::all_keys()
        .into_iter()
        .find(|(path, _)| path.rsplit('.').next() == Some(key) && path.contains('.'))
        .map(|(path, _)| path[..path.rfind('.').expect("contains a dot")].replace("[]", ""))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crabox_types::Severity;

    use super::*;
    use crate::file::SbomFormat;

    fn invalid(text: &str) -> InvalidConfig {
        match parse(Path::new("crabox.toml"), text) {
            Err(ConfigError::Invalid(invalid)) => *invalid,
            other => panic!("expected an invalid config, got {other:?}"),
        }
    }

    fn summary(err: &InvalidConfig) -> String {
        format!(
            "{:?} {}:{} key={:?}\n{}\nlabel: {}\nhelp: {:?}",
            err.kind, err.line, err.column, err.key, err.message, err.label, err.help,
        )
    }

    #[test]
    fn misspelt_key_names_line_and_nearest_key() {
        let err = invalid("[product]\nname = \"acme\"\nsecurity-contatc = \"mailto:x@y\"\n");
        insta::assert_snapshot!(summary(&err), @r#"
        UnknownKey 3:1 key=Some("product.security-contatc")
        unknown key `security-contatc` in `[product]`
        label: not a key of `[product]`
        help: Some("did you mean `security-contact`?")
        "#);
        assert_eq!(&err.source_text[err.span.clone()], "security-contatc");
    }

    #[test]
    fn unknown_section_and_misplaced_key() {
        let err = invalid("[prodcut]\nname = 'x'\n");
        assert_eq!(err.kind, InvalidKind::UnknownKey);
        assert_eq!((err.line, err.column), (1, 2));
        assert_eq!(err.help.as_deref(), Some("did you mean `product`?"));

        let err = invalid("[gate]\nvex = []\n");
        assert_eq!(
            err.help.as_deref(),
            Some("`vex` is a key of `[audit]`; move it there")
        );

        let err = invalid("[sign]\nzzz = 1\n");
        assert_eq!(
            err.help.as_deref(),
            Some(
                "the keys of `[sign]` are: `mode`, `key`, `fulcio-url`, `rekor-url`, `rekor-version`, `tsa-url`, `trusted-root`"
            ),
        );
    }

    #[test]
    fn unknown_key_in_array_of_tables_and_inline_table() {
        let err = invalid("[[audit.ignore]]\nid = 'A'\nreason = 'r'\nuntill = '2027-01-01'\n");
        assert_eq!(err.key.as_deref(), Some("audit.ignore[0].untill"));
        assert_eq!(err.help.as_deref(), Some("did you mean `until`?"));
        assert_eq!(err.line, 4);

        let err = invalid("[audit]\nignore = [{ id = 'A', reson = 'r' }]\n");
        assert_eq!(err.key.as_deref(), Some("audit.ignore[0].reson"));
        assert_eq!(err.help.as_deref(), Some("did you mean `reason`?"));
        assert_eq!((err.line, err.column), (2, 23));
    }

    #[test]
    fn missing_reason_is_named() {
        let err = invalid("[audit]\nignore = [{ id = 'RUSTSEC-2023-0071' }]\n");
        insta::assert_snapshot!(summary(&err), @r#"
        MissingKey 2:11 key=Some("audit.ignore[0].reason")
        missing key `reason` in `audit.ignore[0]`
        label: `reason` is required here
        help: Some("`reason`: Why the advisory does not apply.")
        "#);
    }

    #[test]
    fn wrong_values_say_what_was_expected() {
        let err = invalid("[audit]\nfail-on = 'hihg'\n");
        assert_eq!(err.kind, InvalidKind::InvalidValue);
        assert_eq!(err.key.as_deref(), Some("audit.fail-on"));
        assert_eq!(err.help.as_deref(), Some("did you mean `\"high\"`?"));
        assert_eq!((err.line, err.column), (2, 11));

        let err = invalid("[sbom]\nformats = ['cyclonedx-json', 'spdxjson']\n");
        assert_eq!(err.key.as_deref(), Some("sbom.formats[1]"));
        assert_eq!(err.help.as_deref(), Some("did you mean `\"spdx-json\"`?"));

        let err = invalid("[sbom]\ninclude-dev = 'yes'\n");
        assert!(
            err.message.contains("`sbom.include-dev`"),
            "{}",
            err.message
        );
        assert!(
            err.help.as_deref().unwrap().starts_with("expected boolean"),
            "{:?}",
            err.help
        );

        let err = invalid("[product]\nsupport-end = '31.12.2031'\n");
        assert!(err.message.contains("YYYY-MM-DD"), "{}", err.message);
        assert_eq!(err.line, 2);
    }

    #[test]
    fn syntax_errors_are_located() {
        let err = invalid("[product]\nname = \"unterminated\n");
        assert_eq!(err.kind, InvalidKind::Syntax);
        assert_eq!(err.line, 2);
        assert!(err.message.starts_with("invalid TOML"), "{}", err.message);
    }

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn layers_defaults_file_and_environment() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir(dir.path().join(".git")).unwrap();
        fs_err::write(
            dir.path().join(FILE_NAME),
            "[audit]\nfail-on = 'medium'\n[sbom]\ninclude-dev = false\n",
        )
        .unwrap();
        let sub = dir.path().join("crates/a");
        fs_err::create_dir_all(&sub).unwrap();

        let env = env_of(&[]);
        let loaded = load(&LoadOptions {
            dir: sub.clone(),
            config: None,
            env: &env,
            env_names: None,
        })
        .unwrap();
        assert_eq!(
            loaded.file.as_deref(),
            Some(dir.path().join(FILE_NAME).as_path())
        );
        assert_eq!(loaded.repo_root.as_deref(), Some(dir.path()));
        assert_eq!(loaded.settings.audit.fail_on, Severity::Medium);
        assert!(!loaded.settings.sbom.include_dev);
        assert_eq!(loaded.settings.sbom.formats, [SbomFormat::CyclonedxJson]);
        assert_eq!(loaded.settings.notes.tag_pattern, "v*");

        let env = env_of(&[
            ("CRABOX_AUDIT_FAIL_ON", "critical"),
            ("CRABOX_SBOM_FORMATS", "spdx-json,cyclonedx-json"),
            ("CRABOX_KEY_PASSWORD", "hunter2"),
        ]);
        let loaded = load(&LoadOptions {
            dir: sub.clone(),
            config: None,
            env: &env,
            env_names: None,
        })
        .unwrap();
        assert_eq!(loaded.settings.audit.fail_on, Severity::Critical);
        assert!(!loaded.settings.sbom.include_dev, "the file still applies");
        assert_eq!(
            loaded.settings.sbom.formats,
            [SbomFormat::SpdxJson, SbomFormat::CyclonedxJson]
        );
        assert_eq!(
            loaded.env_overrides,
            ["CRABOX_SBOM_FORMATS", "CRABOX_AUDIT_FAIL_ON"]
        );
        let json = serde_json::to_string(&loaded.settings).unwrap();
        assert!(
            !json.contains("hunter2") && json.contains("<redacted>"),
            "{json}"
        );

        let env = env_of(&[("CRABOX_AUDIT_FAIL_ON", "hihg")]);
        let err = load(&LoadOptions {
            dir: sub,
            config: None,
            env: &env,
            env_names: None,
        })
        .unwrap_err();
        assert!(
            matches!(&err, ConfigError::Env { var, help: Some(help), .. }
                if var == "CRABOX_AUDIT_FAIL_ON" && help.contains("high")),
            "{err:?}"
        );
    }

    #[test]
    fn discovery_stops_at_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join(FILE_NAME), "").unwrap();
        let repo = dir.path().join("repo");
        fs_err::create_dir_all(repo.join(".git")).unwrap();
        assert_eq!(
            discover(&repo),
            None,
            "a file above the repository does not apply"
        );
        let env = env_of(&[]);
        let loaded = load(&LoadOptions {
            dir: repo.clone(),
            config: None,
            env: &env,
            env_names: None,
        })
        .unwrap();
        assert_eq!(loaded.file, None);
        assert_eq!(loaded.settings.audit.fail_on, crate::DEFAULT_FAIL_ON);

        let err = load(&LoadOptions {
            dir: repo,
            config: Some("missing.toml".into()),
            env: &env,
            env_names: None,
        })
        .unwrap_err();
        assert!(err.to_string().contains("missing.toml"), "{err}");
    }

    #[test]
    fn the_product_example_parses() {
        let text = r#"
[product]
name = "acme-gateway"
manufacturer = "ACME GmbH"
manufacturer-contact = "https://acme.example/contact"
security-contact = "mailto:psirt@acme.example"
cvd-policy = "SECURITY.md"
support-end = "2031-12-31"
intended-purpose = "Industrial protocol gateway"

[sbom]
formats = ["cyclonedx-json", "spdx-json"]
include-dev = true
artifacts = ["target/release/acme-gateway"]

[audit]
sources = ["rustsec", "osv"]
fail-on = "medium"
ignore = [{ id = "RUSTSEC-2023-0071", reason = "not reachable: no RSA decryption", until = "2027-06-30" }]
vex = ["security/vex/*.openvex.json"]

[sign]
mode = "auto"
key = "cosign.key"

[gate]
baseline = "previous-release"
commands = [{ name = "fuzz-regressions", run = "cargo test --test fuzz_regressions" }]
licenses.allow = ["MIT", "Apache-2.0", "BSD-3-Clause"]

[notes]
tag-pattern = "v*"
template = "templates/release-notes.md.j2"

[evidence]
risk-assessment = "docs/security/risk-assessment.md"
secure-defaults = "docs/security/secure-defaults.md"
"#;
        let file = parse(Path::new("crabox.toml"), text).unwrap();
        let settings = Settings::resolve(file, &|_| None);
        assert_eq!(
            settings.audit.ignore[0].until.unwrap().to_string(),
            "2027-06-30"
        );
        assert_eq!(settings.gate.licenses.allow.len(), 3);
        assert_eq!(
            settings.evidence.documents.keys().collect::<Vec<_>>(),
            ["risk-assessment", "secure-defaults"]
        );
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// TOML-ish text: real keys and tables, typos, values of every type, broken syntax, unicode.
    fn tomlish() -> impl Strategy<Value = String> {
        let fragment = prop_oneof![
            Just("[product]\n".to_owned()),
            Just("[audit]\n".to_owned()),
            Just("[[audit.ignore]]\n".to_owned()),
            Just("[gate.licenses]\n".to_owned()),
            Just("[evidence.not-applicable]\n".to_owned()),
            Just("name = ".to_owned()),
            Just("fail-on = ".to_owned()),
            Just("ignore = [{ id = 'X' }]\n".to_owned()),
            Just("formats = ['spdx-json', 'cdx']\n".to_owned()),
            Just("support-end = '2031-02-30'\n".to_owned()),
            Just("\"é\" = 1\n".to_owned()),
            Just("'x'\n".to_owned()),
            Just("true\n".to_owned()),
            Just("[".to_owned()),
            Just("{".to_owned()),
            Just("\n".to_owned()),
            "[a-zé€-]{1,8} = ".prop_map(|s| s),
            "[ -~é€\n]{0,6}".prop_map(|s| s),
        ];
        proptest::collection::vec(fragment, 0..12).prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn parse_returns_ok_or_a_located_error(text in tomlish()) {
            match parse(Path::new("crabox.toml"), &text) {
                Ok(_) => {}
                Err(ConfigError::Invalid(invalid)) => {
                    prop_assert!(invalid.line >= 1 && invalid.column >= 1);
                    prop_assert!(invalid.span.end <= text.len());
                    prop_assert!(text.is_char_boundary(invalid.span.start));
                    prop_assert!(text.is_char_boundary(invalid.span.end));
                    prop_assert!(!invalid.message.is_empty());
                }
                Err(other) => prop_assert!(false, "unexpected error {other:?}"),
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(text in "\\PC{0,64}") {
            let _ = parse(Path::new("crabox.toml"), &text);
        }
    }
}
