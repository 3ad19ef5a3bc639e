//! The local stack under test in its own process, so its peak RSS is its own and not the
//! load generator's.
//!
//! The benchmark re-executes itself as `bench serve --dynamodb URL --table NAME`: the child
//! starts `local::Stack` (every function router and the sandbox, on DynamoDB, logs off,
//! metrics lines to /dev/null), prints `READY <api> <sandbox>` on stderr and runs until its
//! stdin closes. The parent reads the child's `VmHWM` from `/proc/<pid>/status`.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use local::{Stack, StackConfig, StoreChoice};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

const READY: &str = "READY ";

/// The child side: serve until the parent closes our stdin.
pub async fn serve(endpoint: String, table: String) -> anyhow::Result<()> {
    let stack = Stack::start(StackConfig::ephemeral(StoreChoice::Dynamo {
        endpoint,
        table,
    }))
    .await
    .context("starting the local stack")?;
    eprintln!("{READY}{} {}", stack.base_url(), stack.sandbox_url());
    let mut stdin = tokio::io::stdin();
    let mut buf = [0u8; 64];
    while let Ok(n) = stdin.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
    stack.stop().await;
    Ok(())
}

/// The parent's handle on the child.
pub struct StackProcess {
    child: Child,
    pid: u32,
    pub api: String,
    pub sandbox: String,
}

impl StackProcess {
    pub async fn spawn(endpoint: &str, table: &str) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("own executable")?;
        let mut child = Command::new(exe)
            .args(["serve", "--dynamodb", endpoint, "--table", table])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("spawning the stack process")?;
        let pid = child.id().context("stack process id")?;
        let stderr = child.stderr.take().context("stack stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let mut seen = Vec::new();
        let ready = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.strip_prefix(READY) {
                    return Some(rest.to_string());
                }
                seen.push(line);
            }
            None
        })
        .await;
        let Ok(Some(ready)) = ready else {
            bail!("the stack process did not start: {}", seen.join("\n"));
        };
        let mut parts = ready.split_whitespace();
        let (Some(api), Some(sandbox)) = (parts.next(), parts.next()) else {
            bail!("unexpected ready line {ready:?}");
        };
        // Keep draining stderr so the child never blocks on it; show what it says.
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("[stack] {line}");
            }
        });
        Ok(Self {
            api: api.to_string(),
            sandbox: sandbox.to_string(),
            child,
            pid,
        })
    }

    /// Peak and current resident set size of the child, in KiB.
    pub fn memory_kib(&self) -> Option<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        Some(Memory {
            peak_kib: status_kib(&status, "VmHWM:")?,
            current_kib: status_kib(&status, "VmRSS:")?,
        })
    }

    /// CPU time the child has used so far, all its threads, user and system, in nanoseconds
    /// (`/proc/<pid>/stat` fields 14 and 15, in clock ticks of 1/100 s, Linux's `USER_HZ`).
    pub fn cpu_ns(&self) -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        // The command name may hold spaces: fields are counted after its closing parenthesis.
        let rest = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(ticks * 10_000_000)
    }

    /// Closes the child's stdin (it stops its stack and exits); kills it if it lingers.
    pub async fn stop(mut self) {
        drop(self.child.stdin.take());
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub peak_kib: u64,
    pub current_kib: u64,
}

/// `VmHWM:    12345 kB` -> 12345.
pub fn status_kib(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kib_fields_of_proc_status() {
        let s = "Name:\tbench\nVmHWM:\t   40960 kB\nVmRSS:\t   30000 kB\n";
        assert_eq!(status_kib(s, "VmHWM:"), Some(40960));
        assert_eq!(status_kib(s, "VmRSS:"), Some(30000));
        assert_eq!(status_kib(s, "VmSwap:"), None);
        let own = std::fs::read_to_string("/proc/self/status").unwrap();
        assert!(status_kib(&own, "VmHWM:").unwrap() > 0);
    }
}
