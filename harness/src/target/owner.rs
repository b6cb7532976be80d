//! Who started a container or a network: labels naming the run, the process and its host, and whether that
//! process is gone (so that what it left behind can be removed).

use std::collections::HashMap;

/// Label of every container and network cloison starts: the run that started it.
pub const LABEL_RUN: &str = "org.cloison.run";
/// Label: the process id of the cloison that started the container.
pub const LABEL_PID: &str = "org.cloison.pid";
/// Label: that process's start time (clock ticks since boot, from `/proc/PID/stat`), so that a process id
/// reused by another program is not taken for the run.
pub const LABEL_PID_START: &str = "org.cloison.pid-start";
/// Label: the host (its name) that process runs on; only this host can tell whether it is alive.
pub const LABEL_HOST: &str = "org.cloison.host";

/// The cloison process that owns a container, as its labels say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// Process id.
    pub pid: u32,
    /// Start time of the process (`/proc/PID/stat`, field 22), when known.
    pub start: Option<String>,
    /// Host name.
    pub host: String,
}

impl Owner {
    /// This process.
    pub fn current() -> Self {
        let pid = std::process::id();
        Owner {
            pid,
            start: process_start(pid),
            host: host_name(),
        }
    }

    /// The labels of a container this owner starts for run `run`.
    pub fn labels(&self, run: &str) -> HashMap<String, String> {
        let mut labels = HashMap::from([
            (LABEL_RUN.to_string(), run.to_string()),
            (LABEL_PID.to_string(), self.pid.to_string()),
            (LABEL_HOST.to_string(), self.host.clone()),
        ]);
        if let Some(start) = &self.start {
            labels.insert(LABEL_PID_START.to_string(), start.clone());
        }
        labels
    }

    /// The owner named by a container's labels (None: not a container of cloison's).
    pub fn from_labels(labels: &HashMap<String, String>) -> Option<Self> {
        Some(Owner {
            pid: labels.get(LABEL_PID)?.parse().ok()?,
            start: labels.get(LABEL_PID_START).cloned(),
            host: labels.get(LABEL_HOST)?.clone(),
        })
    }

    /// Whether this owner is certainly gone: it ran on this host, and no process has its id, or the one that
    /// has it started at another time. Unknown (no `/proc`, another host) is not gone.
    pub fn is_gone(&self) -> bool {
        if self.host != host_name() || !std::path::Path::new("/proc/self/stat").exists() {
            return false;
        }
        match process_start(self.pid) {
            None => true,
            Some(start) => self.start.as_ref().is_some_and(|s| *s != start),
        }
    }
}

/// The start time of a process (field 22 of `/proc/PID/stat`, after the command name in parentheses).
fn process_start(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, after) = stat.rsplit_once(')')?;
    // After the name: state (field 3) ... starttime (field 22), i.e. the 20th field from here.
    after.split_whitespace().nth(19).map(str::to_string)
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_round_trip_through_labels_and_only_dead_local_ones_are_gone() {
        let me = Owner::current();
        let labels = me.labels("run-1");
        assert_eq!(labels.get(LABEL_RUN).map(String::as_str), Some("run-1"));
        assert_eq!(Owner::from_labels(&labels), Some(me.clone()));
        assert!(!me.is_gone(), "this process is alive");
        // A process that has exited: its id names no process (or another one, started later).
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        child.wait().expect("wait");
        let dead = Owner {
            pid: child.id(),
            start: Some("1".into()),
            ..me.clone()
        };
        assert!(dead.is_gone());
        // This process's id with another start time: the id was reused, the owner is gone.
        let reused = Owner {
            start: Some("0".into()),
            ..me.clone()
        };
        assert!(reused.is_gone());
        // Another host's process cannot be checked from here: never taken as gone.
        let elsewhere = Owner {
            host: "another-host".into(),
            ..dead
        };
        assert!(!elsewhere.is_gone());
        assert_eq!(Owner::from_labels(&HashMap::new()), None);
    }
}
