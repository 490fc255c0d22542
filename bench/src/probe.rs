//! What the server under load costs, read from `/proc/<pid>`: CPU time
//! (user + system, the process's threads together) and resident memory.

use crate::{fail, Result};

/// Reads the CPU time and memory of one process, or the sum of several
/// (the servers of a cluster).
#[derive(Debug, Clone)]
pub struct Probe {
    pids: Vec<u32>,
}

impl Probe {
    /// A probe of the process `pid`.
    pub fn of(pid: u32) -> Self {
        Self { pids: vec![pid] }
    }

    /// A probe of several processes together.
    pub fn of_all(pids: Vec<u32>) -> Self {
        Self { pids }
    }

    /// The process's CPU time so far, in seconds (kernel ticks of 10 ms).
    pub fn cpu_seconds(&self) -> Result<f64> {
        let (user, system) = self.cpu_split()?;
        Ok(user + system)
    }

    /// The process's CPU time so far in user space and in the kernel, in
    /// seconds. On loopback the kernel's share holds most of the network
    /// stack's work for both ends of each connection, alike for every
    /// server: the user share is what the server's own code spends.
    pub fn cpu_split(&self) -> Result<(f64, f64)> {
        let mut total = (0.0, 0.0);
        for pid in &self.pids {
            let (user, system) = cpu_of(*pid)?;
            total = (total.0 + user, total.1 + system);
        }
        Ok(total)
    }

    /// The resident memory, in KiB.
    pub fn rss_kib(&self) -> Result<u64> {
        let mut total = 0;
        for pid in &self.pids {
            total += rss_of(*pid)?;
        }
        Ok(total)
    }
}

/// One process's CPU time in user space and in the kernel, in seconds.
fn cpu_of(pid: u32) -> Result<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) may hold spaces: count from its end.
    let Some(end) = stat.rfind(')') else {
        return fail("unreadable /proc stat");
    };
    let fields: Vec<&str> = stat[end + 2..].split(' ').collect();
    // utime and stime are fields 14 and 15, i.e. 11 and 12 after ")".
    let (Some(utime), Some(stime)) = (fields.get(11), fields.get(12)) else {
        return fail("short /proc stat");
    };
    let tick = ticks_per_second();
    Ok((
        utime.parse::<u64>()? as f64 / tick,
        stime.parse::<u64>()? as f64 / tick,
    ))
}

/// One process's resident memory, in KiB.
fn rss_of(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    for line in status.lines() {
        if let Some(rest) = line.strip_prefix("VmRSS:") {
            let kib = rest.trim().trim_end_matches("kB").trim();
            return Ok(kib.parse()?);
        }
    }
    fail("no VmRSS in /proc status")
}

/// Linux reports CPU time in clock ticks, 100 per second on every
/// architecture the kernel's ABI (USER_HZ) supports.
fn ticks_per_second() -> f64 {
    100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let probe = Probe::of(std::process::id());
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        assert!(probe.cpu_seconds().expect("cpu") > 0.0);
        assert!(probe.rss_kib().expect("rss") > 100);
    }
}
