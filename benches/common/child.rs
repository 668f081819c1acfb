//! Run the real binary as a child process and measure it: wall time, and
//! peak RSS from the kernel (`wait4` rusage `ru_maxrss`). Shared by the
//! benchmarks.

use std::process::Command;
use std::time::Instant;

pub struct Run {
    pub wall_s: f64,
    pub peak_rss_mib: f64,
    pub status: i32,
    pub stdout: String,
}

// The child is reaped by `wait4` (which also gives its rusage), not by
// `Child::wait`.
#[allow(clippy::zombie_processes)]
pub fn run(bin: &str, args: &[&str]) -> Run {
    let clock = Instant::now();
    let child = Command::new(bin)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn edgeparity");
    let pid = child.id() as libc::pid_t;
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout {
        use std::io::Read;
        let _ = out.read_to_string(&mut stdout);
    }
    let mut status = 0;
    // SAFETY: plain FFI call on our own child's pid with valid out-pointers;
    // it reaps the child, which `std` then never waits on.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid, "wait4 failed");
    Run {
        wall_s: clock.elapsed().as_secs_f64(),
        peak_rss_mib: usage.ru_maxrss as f64 / 1024.0, // KiB on Linux
        status: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
        stdout,
    }
}
