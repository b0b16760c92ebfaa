//! Every environment variable crabox reads besides the `CRABOX_<SECTION>_<KEY>` twins of
//! `crabox.toml` keys, in one registry: no crate spells a variable's name itself.

macro_rules! env_vars {
    ($( $name:ident : $description:literal; )*) => {
        /// Names of the environment variables crabox reads besides the configuration-key twins.
        pub struct EnvVars;

        impl EnvVars {
            $(
                #[doc = $description]
                pub const $name: &'static str = stringify!($name);
            )*

            /// Every variable above with its description, for the generated reference.
            pub const ALL: &'static [(&'static str, &'static str)] =
                &[$((stringify!($name), $description)),*];
        }
    };
}

env_vars! {
    CRABOX_CONFIG: "Path of the configuration file, like `--config`.";
    CRABOX_FORMAT: "Output format, like `--format`.";
    CRABOX_OFFLINE: "`true` never touches the network, like `--offline`.";
    CRABOX_COLOR: "Colour choice, like `--color`.";
    CRABOX_LOG: "Log filter in `tracing` directive syntax (e.g. `debug` or `crabox_config=trace`); wins over `-v`/`-q`.";
    CRABOX_KEY_PASSWORD: "Password of the cosign-format signing key. Secret: never logged or written.";
    NO_COLOR: "Any non-empty value turns colour off under `--color auto` (<https://no-color.org>).";
    GITHUB_ACTIONS: "`true` inside GitHub Actions: outputs, job summary and annotations are written.";
    GITHUB_OUTPUT: "File that step outputs are appended to (GitHub Actions).";
    GITHUB_STEP_SUMMARY: "File that the job summary is appended to (GitHub Actions).";
    GITHUB_TOKEN: "Token for the GitHub API (`crabox publish`). Secret: never logged or written.";
    GITHUB_API_URL: "Base URL of the GitHub API (`crabox publish`). Default: `https://api.github.com`.";
    GITHUB_REPOSITORY: "`owner/name` of the repository (`crabox publish`). Default: from the git remote.";
    CRABOX_OCI_USERNAME: "User name for the OCI registry (`publish --oci`, `verify oci://`, `watch oci://`), with `CRABOX_OCI_PASSWORD`; wins over the Docker config.";
    CRABOX_OCI_PASSWORD: "Password or token for the OCI registry, with `CRABOX_OCI_USERNAME`. Secret: never logged or written.";
    DOCKER_CONFIG: "Directory of the Docker client's `config.json`, whose `auths` give OCI registry credentials when `CRABOX_OCI_USERNAME` is not set. Default: `~/.docker`.";
    SOURCE_DATE_EPOCH: "Unix time used for every timestamp crabox writes (reproducible builds).";
    CARGO_HOME: "Cargo's home, whose registry cache gives crate licences offline. Default: `~/.cargo`.";
    NUGET_PACKAGES: "The global packages folder (the `.nupkg` cache of `dotnet restore`), whose `.nuspec` files give package licences and project URLs offline. Default: `~/.nuget/packages`.";
    GRADLE_USER_HOME: "Gradle's home, whose module cache gives the jars and poms of Maven packages offline. Default: `~/.gradle`.";
    HOME: "The user's home directory (for the default `CARGO_HOME`, `NUGET_PACKAGES`, `GRADLE_USER_HOME`, Maven's `~/.m2` and the cache directory).";
    XDG_CACHE_HOME: "Base of the cache directory: advisory databases and their indexes go to `$XDG_CACHE_HOME/crabox`. Default: `~/.cache`.";
    CRABOX_CACHE_DIR: "The cache directory itself, instead of `$XDG_CACHE_HOME/crabox`.";
    ACTIONS_ID_TOKEN_REQUEST_URL: "Set by GitHub Actions when the job may request an OIDC token (`permissions: id-token: write`): keyless signing is possible.";
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: "The bearer token for that request (GitHub Actions); read by `sigstore-oidc` for keyless signing, never logged.";
    GITHUB_SERVER_URL: "Base URL of the GitHub server, for SLSA provenance (GitHub Actions). Default: `https://github.com`.";
    GITHUB_SHA: "The commit the workflow run is for, for SLSA provenance (GitHub Actions).";
    GITHUB_REF: "The ref the workflow run is for, for SLSA provenance (GitHub Actions).";
    GITHUB_WORKFLOW_REF: "The workflow file and ref, the builder of SLSA provenance (GitHub Actions).";
    GITHUB_RUN_ID: "The workflow run, for SLSA provenance (GitHub Actions).";
    GITHUB_RUN_ATTEMPT: "The attempt of the workflow run, for SLSA provenance (GitHub Actions).";
    GITHUB_EVENT_NAME: "The event that started the run, for SLSA provenance (GitHub Actions).";
    GITHUB_REPOSITORY_ID: "The repository's numeric id, for SLSA provenance (GitHub Actions).";
    GITHUB_REPOSITORY_OWNER_ID: "The owner's numeric id, for SLSA provenance (GitHub Actions).";
    RUNNER_ENVIRONMENT: "`github-hosted` or `self-hosted`, for SLSA provenance (GitHub Actions).";
}
