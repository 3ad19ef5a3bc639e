//! What the benchmark ran on, from `/proc` (Linux): CPU model, cores, memory, kernel, and the
//! load average, which matters on a shared machine.

/// A one-paragraph description of the machine.
#[derive(Debug, Clone)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory: String,
    pub kernel: String,
    pub arch: &'static str,
}

impl Machine {
    pub fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = field(&cpuinfo, "model name")
            .or_else(|| field(&cpuinfo, "Hardware"))
            .or_else(|| field(&cpuinfo, "CPU part").map(|p| format!("CPU part {p}")))
            .unwrap_or_else(|| "unknown CPU".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = field(&meminfo, "MemTotal")
            .and_then(|v| {
                v.split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
            })
            .map(|kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0))
            .unwrap_or_else(|| "unknown".into());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "unknown".into());
        Self {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory,
            kernel,
            arch: std::env::consts::ARCH,
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "{} ({}), {} cores available, {} RAM, Linux {}",
            self.cpu, self.arch, self.cores, self.memory, self.kernel
        )
    }
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// `key : value` lines of /proc files; the first match.
fn field(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key).then(|| v.trim().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_fields() {
        let text = "processor\t: 0\nmodel name\t: Example CPU @ 2.0GHz\nflags\t: a b\n";
        assert_eq!(
            field(text, "model name").as_deref(),
            Some("Example CPU @ 2.0GHz")
        );
        assert_eq!(field(text, "Hardware"), None);
        let m = Machine::detect();
        assert!(m.cores >= 1);
        assert!(m.describe().contains("cores available"));
    }
}
