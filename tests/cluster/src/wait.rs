//! Waiting for a condition with a deadline.

use std::time::{Duration, Instant};

use anyhow::bail;

/// The longest any single wait in these tests may take.
pub const DEADLINE: Duration = Duration::from_secs(60);
/// Interval between two checks of a condition.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Calls `probe` until it succeeds and returns its value, or fails once `timeout` has passed,
/// quoting the last failure. `what` describes the condition ("node3 sees 3 voters").
///
/// A probe states its condition with `ensure!`/`bail!`; every error means "not yet".
pub fn wait_until<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let start = Instant::now();
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        match probe() {
            Ok(value) => {
                eprintln!("    ok: {what} (after {:.1?})", start.elapsed());
                return Ok(value);
            }
            Err(error) if start.elapsed() >= timeout => {
                bail!(
                    "{what}: still not true after {timeout:?} ({attempts} checks); last check: \
                     {error:#}"
                );
            }
            Err(_) => std::thread::sleep(POLL_INTERVAL),
        }
    }
}
