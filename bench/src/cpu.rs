//! Process CPU time from `/proc` (Linux only; elsewhere nothing is reported).

/// Clock ticks per second of `/proc/<pid>/stat` times (`USER_HZ`, 100 on Linux).
const USER_HZ: f64 = 100.0;

/// User + system CPU seconds consumed so far by process `pid` (or this process).
pub(crate) fn process_seconds(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => String::from("/proc/self/stat"),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the parenthesised command name: state is the first, utime
    // and stime the 12th and 13th (fields 14 and 15 of proc(5)).
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / USER_HZ)
}

/// CPU time of this process and (optionally) the server processes at one instant.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sample {
    client: Option<f64>,
    server: Option<f64>,
}

impl Sample {
    /// Takes a sample now. The server figure is the sum over `server_pids`, or
    /// nothing when the list is empty or one of them cannot be read.
    pub(crate) fn take(server_pids: &[u32]) -> Self {
        let server = if server_pids.is_empty() {
            None
        } else {
            server_pids
                .iter()
                .map(|pid| process_seconds(Some(*pid)))
                .sum::<Option<f64>>()
        };
        Self {
            client: process_seconds(None),
            server,
        }
    }

    /// Average cores used by (client, server) between `self` and `later`.
    pub(crate) fn cores_until(&self, later: &Sample, wall_secs: f64) -> (Option<f64>, Option<f64>) {
        let rate = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if wall_secs > 0.0 => Some((b - a) / wall_secs),
            _ => None,
        };
        (
            rate(self.client, later.client),
            rate(self.server, later.server),
        )
    }
}

/// The 1, 5 and 15 minute load averages from `/proc/loadavg`.
pub(crate) fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    Some([
        fields.next()?.ok()?,
        fields.next()?.ok()?,
        fields.next()?.ok()?,
    ])
}
