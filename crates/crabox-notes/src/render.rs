//! Rendering the notes with minijinja: the embedded default templates, overridden by files of
//! the same name in the repository's `templates/` or by a template the configuration names. An
//! error names the template, the line and what was undefined.

use std::path::{Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior};

use crate::NotesError;
use crate::release::Release;

/// The release notes (`crabox notes`).
pub const RELEASE_NOTES: &str = "release-notes.md.j2";
/// The GitHub release body (`crabox publish`).
pub const GITHUB_RELEASE: &str = "github-release.md.j2";

const DEFAULTS: &[(&str, &str)] = &[
    (
        RELEASE_NOTES,
        include_str!("../../../templates/notes/release-notes.md.j2"),
    ),
    (
        GITHUB_RELEASE,
        include_str!("../../../templates/notes/github-release.md.j2"),
    ),
];

/// Where templates come from.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    /// The repository's `templates/` directory: a file there replaces the default of its name.
    pub dir: Option<PathBuf>,
    /// A template file that replaces `release-notes.md.j2` (`[notes] template`).
    pub release_notes: Option<PathBuf>,
}

impl Templates {
    /// The text of template `name` and where it came from.
    fn source(&self, name: &str) -> Result<(String, String), NotesError> {
        let read = |path: &Path| {
            fs_err::read_to_string(path).map_err(|e| NotesError::Template {
                template: path.display().to_string(),
                line: 0,
                message: e.to_string(),
            })
        };
        if name == RELEASE_NOTES
            && let Some(path) = &self.release_notes
        {
            return Ok((read(path)?, path.display().to_string()));
        }
        if let Some(dir) = &self.dir {
            let path = dir.join(name);
            if path.is_file() {
                return Ok((read(&path)?, path.display().to_string()));
            }
        }
        DEFAULTS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| ((*text).to_owned(), format!("{name} (built in)")))
            .ok_or_else(|| NotesError::Template {
                template: name.to_owned(),
                line: 0,
                message: "no such template".into(),
            })
    }
}

/// Renders template `name` with the release as its context (the release's fields are the
/// template's variables). Undefined values are errors, not empty strings.
pub fn render(templates: &Templates, name: &str, release: &Release) -> Result<String, NotesError> {
    let (text, shown) = templates.source(name)?;
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let located = |err: &minijinja::Error| {
        let line = err.line().unwrap_or(0);
        let source_line = text
            .lines()
            .nth(line.saturating_sub(1))
            .map(str::trim)
            .unwrap_or_default();
        let detail = err.detail().map(|d| format!(": {d}")).unwrap_or_default();
        NotesError::Template {
            template: shown.clone(),
            line,
            message: format!(
                "{}{detail}{}",
                err.kind(),
                if source_line.is_empty() {
                    String::new()
                } else {
                    format!(" in `{source_line}`")
                }
            ),
        }
    };
    env.add_template_owned(name.to_owned(), text.clone())
        .map_err(|e| located(&e))?;
    let template = env.get_template(name).map_err(|e| located(&e))?;
    let mut out = template
        .render(minijinja::value::Serde(release))
        .map_err(|e| located(&e))?;
    // One final newline, whatever the template left.
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    Ok(out)
}
