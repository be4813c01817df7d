//! Runs a shell command once per record without stalling the stream that feeds it.
//!
//! `prt alert --exec CMD` may fire often and `CMD` may be slow (a mail, a webhook). Commands
//! run on a few worker threads from a bounded queue; the stream only waits when it hands a
//! record over. A full queue is reported to the caller, which must say so: dropping a run
//! silently would be data loss. A command that overruns its time is killed and reported,
//! so a hung one cannot hold the workers forever.
//!
//! The clock starts at spawn and covers feeding the record: stdin is written from its own
//! thread, so a command that never reads cannot stall a worker however large the record.
//! Each command leads its own process group, and a timeout kills the whole group, so what
//! the command started in the background goes with it.

use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::duration;
use crate::i18n::{self, Msg};
use crate::sys;

/// One run of the command.
#[derive(Debug, Clone)]
pub struct Job {
    /// Written to the command's stdin (the record, one NDJSON line).
    pub stdin: Vec<u8>,
    /// Added to the command's environment.
    pub env: Vec<(String, String)>,
    /// How reports name this run (`rule ssh, port 22`).
    pub label: String,
}

/// A queue of runs of one shell command, worked by a few threads.
#[derive(Debug)]
pub struct Runner {
    queue: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
    failures: Receiver<String>,
}

/// The queue is full: the run was not made.
#[derive(Debug)]
pub struct QueueFull(pub Job);

impl Runner {
    /// Runs `command` through `sh -c` on `jobs` threads, holding at most `queue` waiting
    /// runs; a run that takes longer than `timeout` is killed.
    #[must_use]
    pub fn new(command: &str, jobs: usize, queue: usize, timeout: Duration) -> Runner {
        let (sender, receiver) = mpsc::sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        let (report, failures) = mpsc::channel();
        let command: Arc<str> = Arc::from(command);
        let workers = (0..jobs.max(1))
            .map(|_| {
                let receiver = Arc::clone(&receiver);
                let report = report.clone();
                let command = Arc::clone(&command);
                std::thread::spawn(move || work(&command, &receiver, &report, timeout))
            })
            .collect();
        Runner {
            queue: Some(sender),
            workers,
            failures,
        }
    }

    /// Queues a run; `Err` when the queue is full.
    pub fn submit(&self, job: Job) -> Result<(), QueueFull> {
        let Some(queue) = &self.queue else {
            return Err(QueueFull(job));
        };
        queue.try_send(job).map_err(|error| match error {
            TrySendError::Full(job) | TrySendError::Disconnected(job) => QueueFull(job),
        })
    }

    /// Failures reported since the last call, one message each.
    #[must_use]
    pub fn failures(&self) -> Vec<String> {
        self.failures.try_iter().collect()
    }

    /// Waits for every queued run to end; the failures not yet collected.
    #[must_use]
    pub fn finish(mut self) -> Vec<String> {
        self.queue = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        self.failures.try_iter().collect()
    }
}

fn work(command: &str, queue: &Mutex<Receiver<Job>>, report: &Sender<String>, timeout: Duration) {
    loop {
        // The lock is held only while taking the next job.
        let next = match queue.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(job) = next else {
            return; // queue closed and drained
        };
        if let Err(message) = run(command, &job, timeout) {
            let _ = report.send(format!("{}: `{command}` {message}", job.label));
        }
    }
}

/// One run: the record on stdin, the environment added; after `timeout` from the start
/// the command's whole process group is killed and the run is a failure.
fn run(command: &str, job: &Job, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .envs(job.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("could not start: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // Fed from its own thread, never joined: the write ends when the command reads it
        // all, exits, or is killed (the pipe then breaks). A command that does not read its
        // input is not a failure.
        let record = job.stdin.clone();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&record);
        });
    }
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("failed ({status})")),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(None) => {
                kill_group(child.id());
                let _ = child.wait();
                return Err(i18n::trf(Msg::ExecTimedOut, &[&duration::exact(timeout)]));
            }
            Err(e) => return Err(format!("could not be waited for: {e}")),
        }
    }
}

/// SIGKILL to every process of the group `leader` leads (the command was spawned as its
/// own group's leader, and has not been reaped, so the group id is still its own).
fn kill_group(leader: u32) {
    if leader > 1 {
        // Already gone is fine: the group ended on its own.
        let _ = sys::kill_group(leader, libc::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(label: &str, stdin: &str) -> Job {
        Job {
            stdin: stdin.as_bytes().to_vec(),
            env: vec![("PRT_RULE".into(), label.into())],
            label: label.into(),
        }
    }

    #[test]
    fn runs_get_stdin_and_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        let runner = Runner::new(
            &format!("{{ echo \"$PRT_RULE\"; cat; }} >> '{}'", out.display()),
            2,
            8,
            Duration::from_secs(5),
        );
        runner
            .submit(job("ssh", "{\"port\":22}\n"))
            .expect("queued");
        assert!(runner.finish().is_empty());
        let text = std::fs::read_to_string(out).expect("written");
        assert_eq!(text, "ssh\n{\"port\":22}\n");
    }

    #[test]
    fn failures_and_timeouts_are_reported_not_fatal() {
        let runner = Runner::new("exit 3", 1, 8, Duration::from_secs(5));
        runner.submit(job("a", "")).expect("queued");
        let failures = runner.finish();
        assert_eq!(failures.len(), 1);
        assert!(
            failures[0].starts_with("a: `exit 3` failed"),
            "{failures:?}"
        );

        let runner = Runner::new("sleep 10", 1, 8, Duration::from_millis(200));
        let start = Instant::now();
        runner.submit(job("slow", "")).expect("queued");
        let failures = runner.finish();
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(
            failures[0].contains("timed out after 200ms"),
            "{failures:?}"
        );
    }

    #[test]
    fn a_slow_command_does_not_block_submission_until_the_queue_is_full() {
        let runner = Runner::new("sleep 1", 1, 2, Duration::from_secs(5));
        let start = Instant::now();
        let accepted = (0..6)
            .filter(|i| runner.submit(job(&i.to_string(), "")).is_ok())
            .count();
        assert!(start.elapsed() < Duration::from_millis(500), "never waited");
        // One running plus two waiting; the rest is refused, not lost silently.
        assert!((2..=3).contains(&accepted), "{accepted}");
        drop(runner);
    }
}
