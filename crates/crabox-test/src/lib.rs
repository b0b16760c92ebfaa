//! Test support: a temporary workspace with a git repository, a `crabox` command with a clean
//! environment, and insta filters that hide temporary paths.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;

/// Variables every crabox test process gets; nothing else leaks in from the developer's shell.
const BASE_ENV: &[(&str, &str)] = &[
    ("GIT_CONFIG_NOSYSTEM", "1"),
    ("GIT_AUTHOR_NAME", "crabox test"),
    ("GIT_AUTHOR_EMAIL", "test@crabox.invalid"),
    ("GIT_COMMITTER_NAME", "crabox test"),
    ("GIT_COMMITTER_EMAIL", "test@crabox.invalid"),
    ("GIT_AUTHOR_DATE", "1700000000 +0000"),
    ("GIT_COMMITTER_DATE", "1700000000 +0000"),
    // Tests never reach the internet: the yanked-crate lookup goes to a closed local port unless
    // a test starts its own index.
    ("CRABOX_AUDIT_INDEX_URL", "http://127.0.0.1:9"),
    // An empty advisory cache is filled before an audit when online: from a closed local port.
    (
        "CRABOX_AUDIT_RUSTSEC_URL",
        "http://127.0.0.1:9/advisory-db.git",
    ),
    ("CRABOX_AUDIT_OSV_URL", "http://127.0.0.1:9/osv"),
    // Nor the public Sigstore: keyless tests start a fake one and point these at it.
    ("CRABOX_SIGN_FULCIO_URL", "http://127.0.0.1:9"),
    ("CRABOX_SIGN_REKOR_URL", "http://127.0.0.1:9"),
    ("CRABOX_SIGN_TSA_URL", "http://127.0.0.1:9/api/v1/timestamp"),
];

/// A temporary directory to run crabox in.
pub struct TestContext {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

impl TestContext {
    /// An empty directory; `bin` is `env!("CARGO_BIN_EXE_crabox")`.
    pub fn new(bin: impl Into<PathBuf>) -> TestContext {
        let dir = tempfile::Builder::new()
            .prefix("crabox-test-")
            .tempdir()
            .expect("a temp dir");
        TestContext {
            dir,
            bin: bin.into(),
        }
    }

    /// A directory holding a fresh git repository on branch `main`, without commits.
    pub fn git_repo(bin: impl Into<PathBuf>) -> TestContext {
        let context = TestContext::new(bin);
        context.git(&["init", "-q", "-b", "main"]);
        context
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file under the directory, creating parents.
    pub fn write(&self, relative: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent).expect("create parent directories");
        }
        fs_err::write(&path, contents).expect("write a fixture file");
        path
    }

    pub fn read(&self, relative: &str) -> String {
        fs_err::read_to_string(self.dir.path().join(relative)).expect("read a file")
    }

    pub fn exists(&self, relative: &str) -> bool {
        self.dir.path().join(relative).exists()
    }

    /// Runs git in the directory with a fixed identity and dates.
    pub fn git(&self, args: &[&str]) {
        let status = StdCommand::new("git")
            .args(args)
            .current_dir(self.dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .envs(BASE_ENV.iter().copied())
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?} failed");
    }

    /// Makes the directory `dir` (relative, already written) a git repository of its own with
    /// one commit of everything in it, committed at `epoch` (Unix seconds): an advisory
    /// database clone whose snapshot date is known. `None`: one day before the clock.
    pub fn database_clone(&self, dir: &str, epoch: Option<i64>) {
        let epoch = epoch.unwrap_or_else(|| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            i64::try_from(now).unwrap_or(i64::MAX) - 86_400
        });
        let date = format!("{epoch} +0000");
        for args in [
            &["init", "-q"][..],
            &["add", "-A"],
            &["commit", "-qm", "advisories"],
        ] {
            let status = StdCommand::new("git")
                .args(args)
                .current_dir(self.dir.path().join(dir))
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .envs(BASE_ENV.iter().copied())
                .env("GIT_AUTHOR_DATE", &date)
                .env("GIT_COMMITTER_DATE", &date)
                .status()
                .expect("git runs");
            assert!(status.success(), "git {args:?} in {dir} failed");
        }
    }

    /// `crabox` in the directory, with an empty environment but `PATH`, a private `HOME` and
    /// the fixed git identity.
    pub fn crabox(&self) -> Command {
        Command::from_std(self.crabox_std())
    }

    /// [`TestContext::crabox`] without the harness's own `CRABOX_*` settings (the closed local
    /// index URL), for tests that list the overrides in effect.
    pub fn crabox_own_env(&self) -> Command {
        let mut command = self.crabox();
        for (name, _) in BASE_ENV.iter().filter(|(n, _)| n.starts_with("CRABOX_")) {
            command.env_remove(name);
        }
        command
    }

    /// [`TestContext::crabox`] as a plain `std::process::Command`, for tests that spawn.
    pub fn crabox_std(&self) -> StdCommand {
        let mut command = StdCommand::new(&self.bin);
        command
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .envs(BASE_ENV.iter().copied());
        command
    }

    /// insta filters that replace this context's paths with `[TEMP]`.
    pub fn filters(&self) -> Vec<(String, &'static str)> {
        let mut filters = Vec::new();
        let path = self.dir.path();
        for variant in [Some(path.to_path_buf()), path.canonicalize().ok()]
            .into_iter()
            .flatten()
        {
            filters.push((regex_escape(&variant.to_string_lossy()), "[TEMP]"));
        }
        filters
    }

    /// Binds [`TestContext::filters`] (plus a version filter) for the duration of `f`.
    pub fn with_filters<R>(&self, f: impl FnOnce() -> R) -> R {
        let mut settings = insta::Settings::clone_current();
        for (pattern, replacement) in self.filters() {
            settings.add_filter(&pattern, replacement);
        }
        settings.add_filter(&regex_escape(env!("CARGO_PKG_VERSION")), "[VERSION]");
        settings.bind(f)
    }
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The stdout and stderr of a finished command as text.
pub fn output_text(output: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every copy of `bytes` with exactly one bit of one byte flipped, with the byte's position: for
/// tests that any single-byte change is detected.
pub fn each_byte_flipped(bytes: &[u8]) -> impl Iterator<Item = (usize, Vec<u8>)> + '_ {
    (0..bytes.len()).map(|at| {
        let mut changed = bytes.to_vec();
        changed[at] ^= 0x01;
        (at, changed)
    })
}

/// A real OCI registry (Debian's `docker-registry`, Distribution 2.8) on 127.0.0.1 with its
/// storage in a temporary directory; stopped when dropped.
pub struct TestRegistry {
    child: std::process::Child,
    /// `127.0.0.1:PORT`
    pub address: String,
    /// The registry's storage root (blobs under `docker/registry/v2/blobs`).
    pub storage: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestRegistry {
    /// Starts the registry, or prints a SKIP line and returns `None` when `docker-registry` is
    /// not installed (`.ci/run` installs it).
    #[allow(clippy::disallowed_macros)] // a test's SKIP line
    pub fn start(test: &str) -> Option<TestRegistry> {
        let binary = ["/usr/bin/docker-registry", "/usr/local/bin/docker-registry"]
            .into_iter()
            .find(|p| Path::new(p).is_file());
        let Some(binary) = binary else {
            println!(
                "SKIP {test}: docker-registry is not installed (apt-get install docker-registry)"
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("temporary directory");
        let storage = dir.path().join("storage");
        fs_err::create_dir_all(&storage).expect("storage directory");
        // A free port: bind to 0, read it, release it for the registry.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let address = format!("127.0.0.1:{port}");
        let config = dir.path().join("config.yml");
        fs_err::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {address}\n",
                storage.display()
            ),
        )
        .expect("registry config");
        let child = std::process::Command::new(binary)
            .arg("serve")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let registry = TestRegistry {
            child,
            address,
            storage,
            _dir: dir,
        };
        for _ in 0..200 {
            if std::net::TcpStream::connect(&registry.address).is_ok() {
                return Some(registry);
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("docker-registry did not listen on {}", registry.address);
    }

    /// The file holding the blob `digest` (`sha256:…`) in the registry's storage.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.storage
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
