//! Security test commands (`[gate] commands`): each runs through `sh -c` from the repository
//! root with a time limit; its exit status, duration and the SHA-256 of its output are recorded,
//! and test results are read from libtest output or the JUnit XML file it names. A command that
//! cannot start, fails, or runs out of time fails the gate.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use quick_xml::events::Event;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crabox_types::codes;

use crate::{Category, Check, Outcome};

/// One test's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestResult {
    pub name: String,
    /// `passed`, `failed`, `skipped`.
    pub outcome: &'static str,
}

/// Test results from libtest's output (`test a::b ... ok`).
pub fn parse_libtest(output: &str) -> Vec<TestResult> {
    output
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("test ")?;
            let (name, result) = rest.rsplit_once(" ... ")?;
            let outcome = match result.trim() {
                "ok" => "passed",
                "FAILED" => "failed",
                r if r.starts_with("ignored") => "skipped",
                _ => return None,
            };
            Some(TestResult {
                name: name.trim().to_owned(),
                outcome,
            })
        })
        .collect()
}

/// Test results from a JUnit XML document (`testcase` elements, with `failure`, `error` or
/// `skipped` children).
pub fn parse_junit(xml: &str) -> Result<Vec<TestResult>, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut results = Vec::new();
    let mut current: Option<TestResult> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) if e.name().as_ref() == b"testcase" => {
                let mut name = String::new();
                let mut class = String::new();
                for attribute in e.attributes().flatten() {
                    let value = attribute
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map(std::borrow::Cow::into_owned)
                        .unwrap_or_default();
                    match attribute.key.as_ref() {
                        b"name" => name = value,
                        b"classname" => class = value,
                        _ => {}
                    }
                }
                let test = TestResult {
                    name: if class.is_empty() {
                        name
                    } else {
                        format!("{class}::{name}")
                    },
                    outcome: "passed",
                };
                if matches!(event, Event::Empty(_)) {
                    results.push(test);
                } else {
                    current = Some(test);
                }
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                if let Some(test) = current.as_mut() {
                    match e.name().as_ref() {
                        b"failure" | b"error" => test.outcome = "failed",
                        b"skipped" => test.outcome = "skipped",
                        _ => {}
                    }
                }
            }
            Event::End(ref e) if e.name().as_ref() == b"testcase" => {
                results.extend(current.take());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(results)
}

/// What running one command gave.
#[derive(Debug, Clone)]
pub struct Run {
    /// `None`: killed (time limit) or could not start.
    pub code: Option<i32>,
    pub timed_out: bool,
    pub duration: Duration,
    pub output: Vec<u8>,
    /// Why it could not start.
    pub start_error: Option<String>,
}

/// Runs `command` through `sh -c` in `dir`, killing its whole process group after `limit`.
pub fn run(command: &str, dir: &Path, limit: Duration) -> Run {
    let start = Instant::now();
    let mut builder = Command::new("sh");
    builder
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        builder.process_group(0);
    }
    let mut child = match builder.spawn() {
        Ok(child) => child,
        Err(err) => {
            return Run {
                code: None,
                timed_out: false,
                duration: start.elapsed(),
                output: Vec::new(),
                start_error: Some(format!("could not start `sh`: {err}")),
            };
        }
    };
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|mut pipe| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    })
    .collect();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= limit => {
                timed_out = true;
                kill_group(&mut child);
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => break None,
        }
    };
    // Whatever the command left running in its group goes too, so its pipes close.
    kill_group(&mut child);
    let mut output = Vec::new();
    for reader in readers {
        output.extend(reader.join().unwrap_or_default());
    }
    Run {
        code: if timed_out {
            None
        } else {
            status.and_then(|s| s.code())
        },
        timed_out,
        duration: start.elapsed(),
        output,
        start_error: None,
    }
}

fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        if let Some(pid) = rustix::process::Pid::from_raw(child.id().cast_signed()) {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }
    let _ = child.kill();
}

/// The check of one command.
pub fn check(name: &str, command: &str, dir: &Path, limit: Duration, junit: Option<&str>) -> Check {
    let run = run(command, dir, limit);
    let digest = crabox_types::encoding::hex(&Sha256::digest(&run.output));
    let text = String::from_utf8_lossy(&run.output);
    let mut tests = parse_libtest(&text);
    let mut junit_problem = None;
    if let Some(file) = junit {
        match fs_err::read_to_string(dir.join(file)) {
            Ok(xml) => match parse_junit(&xml) {
                Ok(results) => tests.extend(results),
                Err(e) => junit_problem = Some(format!("{file}: not JUnit XML: {e}")),
            },
            Err(e) => junit_problem = Some(e.to_string()),
        }
    }
    let failed: Vec<&str> = tests
        .iter()
        .filter(|t| t.outcome == "failed")
        .map(|t| t.name.as_str())
        .collect();
    let last_line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect::<String>();
    let seconds = run.duration.as_secs_f64();
    let (outcome, message) = match (&run.start_error, run.timed_out, run.code) {
        (Some(error), _, _) => (Outcome::Fail, error.clone()),
        (None, true, _) => (
            Outcome::Fail,
            format!("stopped at the time limit of {} s", limit.as_secs()),
        ),
        (None, false, Some(127)) => (
            Outcome::Fail,
            format!("the command could not start (exit status 127): {last_line}"),
        ),
        (None, false, Some(0)) if failed.is_empty() && junit_problem.is_none() => (
            Outcome::Pass,
            format!(
                "exit status 0 in {seconds:.1} s{}",
                if tests.is_empty() {
                    String::new()
                } else {
                    format!(", {} tests passed or skipped", tests.len())
                }
            ),
        ),
        (None, false, code) => (
            Outcome::Fail,
            format!(
                "{}{}{}",
                code.map_or_else(
                    || "killed by a signal".to_owned(),
                    |c| format!("exit status {c}")
                ),
                if failed.is_empty() {
                    String::new()
                } else {
                    format!("; failed tests: {}", failed.join(", "))
                },
                junit_problem
                    .as_ref()
                    .map(|p| format!("; {p}"))
                    .unwrap_or_default()
            ),
        ),
    };
    let mut check = Check::new(
        Category::Commands,
        codes::GATE_COMMAND,
        name,
        outcome,
        message,
    )
    .with("command", command)
    .with(
        "duration_ms",
        u64::try_from(run.duration.as_millis()).unwrap_or(u64::MAX),
    )
    .with("output_sha256", digest)
    .with("timed_out", run.timed_out);
    if let Some(code) = run.code {
        check = check.with("exit_status", code);
    }
    if !tests.is_empty() {
        check = check.with(
            "tests",
            serde_json::to_value(&tests).unwrap_or(serde_json::Value::Null),
        );
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_and_junit_results_are_read() {
        let out = "running 3 tests\ntest a::one ... ok\ntest a::two ... FAILED\ntest b ... ignored, slow\n\ntest result: FAILED. 1 passed; 1 failed; 1 ignored\n";
        let results = parse_libtest(out);
        assert_eq!(
            results
                .iter()
                .map(|r| (r.name.as_str(), r.outcome))
                .collect::<Vec<_>>(),
            [("a::one", "passed"), ("a::two", "failed"), ("b", "skipped")]
        );
        let xml = r#"<?xml version="1.0"?><testsuites><testsuite name="s">
            <testcase classname="fuzz" name="corpus"/>
            <testcase classname="fuzz" name="crash"><failure message="boom">trace</failure></testcase>
            <testcase name="later"><skipped/></testcase>
        </testsuite></testsuites>"#;
        let results = parse_junit(xml).unwrap();
        assert_eq!(
            results
                .iter()
                .map(|r| (r.name.as_str(), r.outcome))
                .collect::<Vec<_>>(),
            [
                ("fuzz::corpus", "passed"),
                ("fuzz::crash", "failed"),
                ("later", "skipped")
            ]
        );
        assert!(parse_junit("<testsuite><testcase></testsuite>").is_err());
    }

    #[test]
    fn commands_pass_fail_time_out_and_fail_to_start() {
        let dir = tempfile::tempdir().unwrap();
        let limit = Duration::from_secs(10);
        let ok = check("ok", "echo hello", dir.path(), limit, None);
        assert_eq!(ok.outcome, Outcome::Pass, "{ok:?}");
        assert_eq!(
            ok.data["output_sha256"],
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
        );
        let failing = check(
            "f",
            "echo 'test x ... FAILED'; exit 3",
            dir.path(),
            limit,
            None,
        );
        assert_eq!(failing.outcome, Outcome::Fail);
        assert!(
            failing.message.contains("exit status 3; failed tests: x"),
            "{failing:?}"
        );
        let missing = check("m", "no-such-command-xyz", dir.path(), limit, None);
        assert_eq!(missing.outcome, Outcome::Fail);
        assert!(missing.message.contains("could not start"), "{missing:?}");
        let start = Instant::now();
        let slow = check(
            "s",
            "sleep 30 & sleep 30",
            dir.path(),
            Duration::from_millis(300),
            None,
        );
        assert_eq!(slow.outcome, Outcome::Fail);
        assert!(slow.message.contains("time limit"), "{slow:?}");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the whole group is killed"
        );
        let junit = check(
            "j",
            "echo '<testsuite><testcase name=\"t\"><failure/></testcase></testsuite>' > r.xml",
            dir.path(),
            limit,
            Some("r.xml"),
        );
        assert_eq!(junit.outcome, Outcome::Fail);
        assert!(junit.message.contains("failed tests: t"), "{junit:?}");
    }
}
