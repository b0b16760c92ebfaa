//! What every command runs with: the global options, the environment, the working directory,
//! stdout, colour choices and the GitHub Actions context.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use crabox_cli::{ColorChoice, GlobalArgs};
use crabox_config::{EnvVars, LoadOptions, Loaded};
use crabox_report::github::Actions;

/// A snapshot of the environment, taken once: commands never read `std::env` themselves.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    pub fn from_process() -> Env {
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The names of the variables set.
    pub fn names(&self) -> Vec<String> {
        self.vars.keys().cloned().collect()
    }

    pub fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }
}

impl crabox_pipeline::Environment for Env {
    fn var(&self, name: &str) -> Option<String> {
        Env::var(self, name)
    }
}

/// The context of one run.
pub struct Context {
    pub global: GlobalArgs,
    pub env: Env,
    /// Absolute working directory (`-C DIR` applied).
    pub dir: PathBuf,
    /// Colour on stdout and stderr.
    pub color_stdout: bool,
    pub color_stderr: bool,
    /// Set when running inside GitHub Actions.
    pub actions: Option<Actions>,
    /// stdout is a regular file (`crabox … > file`), which the Actions runner does not read.
    pub stdout_is_file: bool,
}

/// Whether stdout is a regular file.
fn stdout_is_file() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd as _;
        std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .map(std::fs::File::from)
            .and_then(|f| f.metadata().ok())
            .is_some_and(|m| m.is_file())
    }
    #[cfg(not(unix))]
    false
}

fn wants_color(choice: ColorChoice, env: &Env, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => env.var(EnvVars::NO_COLOR).is_none_or(|v| v.is_empty()) && is_terminal,
    }
}

impl Context {
    pub fn new(global: GlobalArgs, env: Env) -> anyhow::Result<Context> {
        let cwd = std::env::current_dir().context("could not read the current directory")?;
        let dir = match &global.directory {
            Some(dir) => cwd.join(dir),
            None => cwd,
        };
        if !dir.is_dir() {
            return Err(crate::UsageError::new(format!(
                "`-C {}`: not a directory",
                global
                    .directory
                    .as_deref()
                    .unwrap_or(Path::new("."))
                    .display()
            ))
            .into());
        }
        let color_stdout = wants_color(global.color, &env, std::io::stdout().is_terminal());
        let color_stderr = wants_color(global.color, &env, std::io::stderr().is_terminal());
        let actions = Actions::from_env(|name| env.var(name));
        Ok(Context {
            global,
            env,
            dir,
            color_stdout,
            color_stderr,
            actions,
            stdout_is_file: stdout_is_file(),
        })
    }

    /// Loads `crabox.toml` and the `CRABOX_*` overrides, then applies the global flags.
    pub fn load_config(&self) -> anyhow::Result<Loaded> {
        self.load_config_in(&self.dir)
    }

    /// [`Context::load_config`], looking for `crabox.toml` from `dir` upward.
    pub fn load_config_in(&self, dir: &Path) -> anyhow::Result<Loaded> {
        let env = |name: &str| self.env.var(name);
        let mut loaded = crabox_config::load(&LoadOptions {
            dir: dir.to_owned(),
            config: self.global.config.clone(),
            env: &env,
            env_names: Some(self.env.names()),
        })?;
        loaded.settings.offline = self.global.offline;
        Ok(loaded)
    }

    /// Writes data to stdout. A closed stdout (`crabox … | head`) surfaces as an I/O error of
    /// kind `BrokenPipe`, which ends the process with status 0.
    ///
    /// In GitHub Actions, text that could hold a workflow command (data: commit messages, names,
    /// configuration values) is made inert (`::stop-commands::`), unless stdout is a file.
    pub fn print(&self, text: &str) -> anyhow::Result<()> {
        let text = if self.actions.is_some() && !self.stdout_is_file {
            crabox_report::github::inert(text)
        } else {
            std::borrow::Cow::Borrowed(text)
        };
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()?;
        Ok(())
    }

    /// The git repository around the working directory, and the root steps work from: the
    /// repository's work tree, or the working directory outside git.
    pub fn repository(&self) -> anyhow::Result<(Option<crabox_git::Repo>, PathBuf)> {
        let repo = crabox_git::Repo::discover(&self.dir)?;
        let root = repo
            .as_ref()
            .map_or_else(|| self.dir.clone(), crabox_git::Repo::root);
        Ok((repo, root))
    }

    /// The scope of a command (`-C` and `--path`, one meaning for every command; see
    /// [`crabox_pipeline::Scope`]), its repository and its configuration.
    pub fn scope(
        &self,
        path: Option<&Path>,
    ) -> anyhow::Result<(crabox_pipeline::Scope, Option<crabox_git::Repo>, Loaded)> {
        let (scope, repo) =
            crabox_pipeline::Scope::resolve(&self.dir, self.global.directory.is_some(), path)?;
        let loaded = self.load_config_in(&scope.config_dir)?;
        Ok((scope, repo, loaded))
    }

    /// What the pipeline runs with.
    pub fn pipeline<'a>(
        &'a self,
        scope: &'a crabox_pipeline::Scope,
        loaded: &'a Loaded,
        progress: &'a crate::progress::Spinners,
    ) -> crabox_pipeline::Run<'a> {
        crabox_pipeline::Run {
            scope,
            loaded,
            env: &self.env,
            cache_dir: self.cache_dir(),
            progress,
        }
    }

    /// The cache directory (advisory databases and indexes): `CRABOX_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/crabox`, else `~/.cache/crabox`; `None` without a home directory.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        let set = |name: &str| {
            self.env
                .var(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        set(EnvVars::CRABOX_CACHE_DIR)
            .or_else(|| set(EnvVars::XDG_CACHE_HOME).map(|base| base.join("crabox")))
            .or_else(|| set(EnvVars::HOME).map(|home| home.join(".cache/crabox")))
            .map(|dir| self.dir.join(dir))
    }

    /// Shows findings on stderr (and as annotations in GitHub Actions).
    pub fn emit(&self, findings: &[crabox_report::Finding]) {
        crate::errors::emit(findings, Some(self));
    }

    /// A path as the user would like to read it: relative to the working directory when inside.
    pub fn display_path(&self, path: &Path) -> String {
        path.strip_prefix(&self.dir)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }
}
