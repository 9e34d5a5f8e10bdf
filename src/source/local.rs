//! Reading the local disk without letting it hang the run. A file on a stalled network mount
//! blocks `open` or `read` in the kernel, where no signal reaches it; a FIFO named `x.html` blocks
//! `open` until a writer comes. So every local read here is done on a helper thread that the
//! caller waits for at most `--timeout` (and no longer than the run's stop): a read that does not
//! finish in time is left behind on its thread, and the caller goes on. Files are opened without
//! blocking and must be regular files: a FIFO, socket or device is never read.

use std::cell::RefCell;
use std::fs::File;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::source::limits::{Cancel, Stop};

/// Why a local read gave no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Not done within the timeout: it is left behind.
    TimedOut(Duration),
    /// The run stopped while it was being done.
    Stopped(Stop),
}

impl Cut {
    /// Why, in words (the path is named beside it).
    pub fn message(self) -> String {
        match self {
            Cut::TimedOut(timeout) => {
                format!(
                    "not read within {}s (--timeout): a stalled disk or network mount?",
                    timeout.as_secs_f64()
                )
            }
            Cut::Stopped(stop) => format!("not read: {}", stop.reason()),
        }
    }

    /// The same, as an I/O error (for callers that deal in them).
    pub fn into_io(self) -> std::io::Error {
        let kind = match self {
            Cut::TimedOut(_) => std::io::ErrorKind::TimedOut,
            Cut::Stopped(_) => std::io::ErrorKind::Interrupted,
        };
        std::io::Error::new(kind, self.message())
    }
}

/// How often a caller waiting for a local read looks at the run's stop.
const POLL: Duration = Duration::from_millis(50);

type Job = Box<dyn FnOnce() + Send>;

thread_local! {
    /// This thread's helper, started on its first local read; replaced when a read it was given
    /// did not come back in time (that helper is stuck on it, and ends when the read does).
    static HELPER: RefCell<Option<mpsc::Sender<Job>>> = const { RefCell::new(None) };
}

fn start_helper() -> Option<mpsc::Sender<Job>> {
    let (send, receive) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("heap-audit-disk".into())
        .spawn(move || {
            // Ends when its caller's thread ends or gives it up (the sender is dropped).
            for job in receive {
                job();
            }
        })
        .ok()?;
    Some(send)
}

/// Run `read` (local I/O) on this thread's helper and wait for it at most `timeout`, or until
/// `cancel` stops the run. A panic in `read` is raised here. If no helper thread can be started,
/// `read` runs on this thread, without a deadline.
pub fn within<T: Send + 'static>(
    timeout: Duration,
    cancel: &Cancel,
    read: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Cut> {
    if let Some(stop) = cancel.stopped() {
        return Err(Cut::Stopped(stop));
    }
    let (answer, answered) = mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
        let _ = answer.send(result);
    });
    let refused = HELPER.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            *slot = start_helper();
        }
        match slot.as_ref() {
            Some(helper) => helper.send(job).err().map(|e| e.0),
            None => Some(job),
        }
    });
    if let Some(job) = refused {
        // No helper (none could be started, or it is gone): read here.
        HELPER.with(|slot| *slot.borrow_mut() = None);
        job();
    }
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match answered.recv_timeout(left.min(POLL)) {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(panic)) => {
                // The helper caught it and lives on.
                std::panic::resume_unwind(panic)
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // The job was dropped unrun: its helper is gone.
                HELPER.with(|slot| *slot.borrow_mut() = None);
                return Err(Cut::Stopped(cancel.stopped().unwrap_or(Stop::Interrupted)));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        let cut = match cancel.stopped() {
            Some(stop) => Cut::Stopped(stop),
            None if Instant::now() >= deadline => Cut::TimedOut(timeout),
            None => continue,
        };
        // The helper is stuck on this read: the next one gets a new helper.
        HELPER.with(|slot| *slot.borrow_mut() = None);
        return Err(cut);
    }
}

/// Run `read` (local I/O) under [`within`]'s deadline when a read may stall on this machine (it
/// mounts a network or FUSE file system: see [`can_stall`]); otherwise on this thread, which
/// saves two thread switches per file (a 10,000-page build folder: 1.75-1.92 s with a helper
/// per read, 1.05-1.09 s without, in one run). FIFOs and devices are refused by [`open`] either
/// way.
pub fn guarded<T: Send + 'static>(
    timeout: Duration,
    cancel: &Cancel,
    read: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Cut> {
    if can_stall() {
        return within(timeout, cancel, read);
    }
    match cancel.stopped() {
        Some(stop) => Err(Cut::Stopped(stop)),
        None => Ok(read()),
    }
}

/// Whether a local read can stall on this machine: it mounts a network or FUSE file system
/// (NFS, SMB, sshfs, 9p, Ceph, ...), or its mounts cannot be read. A symbolic link can lead from
/// a local disk into such a mount, so any one of them makes every read guarded.
pub fn can_stall() -> bool {
    static STALL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *STALL.get_or_init(|| {
        std::fs::read_to_string("/proc/self/mountinfo").map_or(true, |m| remote_mounts(&m))
    })
}

/// Whether a `/proc/self/mountinfo` text lists a network or FUSE file system.
fn remote_mounts(mountinfo: &str) -> bool {
    const REMOTE: &[&str] = &[
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "ncpfs",
        "afs",
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "9p",
        "davfs",
        "fuse",
        "fuseblk",
        "virtiofs",
        "orangefs",
        "ocfs2",
        "gfs2",
    ];
    mountinfo.lines().any(|line| {
        let kind = line.split(" - ").nth(1).and_then(|r| r.split(' ').next());
        kind.is_some_and(|k| REMOTE.contains(&k) || k.starts_with("fuse."))
    })
}

/// Open a file for reading, if it is a regular file (symbolic links followed). A FIFO, socket or
/// device is refused without blocking on it, with an error naming what it is.
pub fn open(path: &Path) -> std::io::Result<File> {
    open_sized(path).map(|(file, _)| file)
}

/// [`open`], with the file's size (from the same `fstat`).
pub fn open_sized(path: &Path) -> std::io::Result<(File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO blocks until a writer comes, unless non-blocking; reads of a regular
        // file are not affected.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    let kind = meta.file_type();
    match special(&kind) {
        Some(what) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("not a regular file but {what}: not read"),
        )),
        None if kind.is_dir() => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a folder, not a file",
        )),
        None => Ok((file, meta.len())),
    }
}

/// What a file type is when it is neither a regular file nor a folder (nor a symbolic link):
/// `a FIFO`, `a socket`, `a device`. `None` for the others.
pub fn special(kind: &std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
        if kind.is_block_device() || kind.is_char_device() {
            return Some("a device");
        }
    }
    if kind.is_file() || kind.is_dir() || kind.is_symlink() {
        None
    } else {
        Some("not a regular file")
    }
}

/// Read at most `cap` bytes of a regular file (and say whether there was more), within `timeout`
/// and until the run stops.
pub fn read(
    path: &Path,
    cap: usize,
    timeout: Duration,
    cancel: &Cancel,
) -> Result<(Vec<u8>, bool), ReadError> {
    let path = path.to_path_buf();
    guarded(timeout, cancel, move || {
        use std::io::Read;
        let file = open(&path)?;
        let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
        let expected = file.metadata().map_or(0, |m| m.len().min(limit));
        let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
        file.take(limit).read_to_end(&mut bytes)?;
        let truncated = bytes.len() > cap;
        bytes.truncate(cap);
        Ok((bytes, truncated))
    })
    .map_err(ReadError::Cut)?
    .map_err(ReadError::Io)
}

/// Why a local file could not be read.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    Cut(Cut),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Cut(cut) => f.write_str(&cut.message()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_and_fuse_mounts_make_reads_guarded() {
        let local = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n\
                     25 22 0:21 / /tmp rw shared:5 - tmpfs tmpfs rw\n";
        assert!(!remote_mounts(local));
        let nfs = format!("{local}40 22 0:40 / /home rw shared:9 - nfs4 srv:/home rw\n");
        assert!(remote_mounts(&nfs));
        let sshfs = format!("{local}41 22 0:41 / /mnt rw - fuse.sshfs u@h:/ rw\n");
        assert!(remote_mounts(&sshfs));
    }

    #[test]
    fn a_read_that_stalls_is_left_behind_at_the_timeout() {
        let started = Instant::now();
        let cut = within(Duration::from_millis(200), &Cancel::new(), || {
            std::thread::sleep(Duration::from_secs(30));
        });
        assert_eq!(cut, Err(Cut::TimedOut(Duration::from_millis(200))));
        assert!(started.elapsed() < Duration::from_secs(5));
        // The next read gets a helper of its own.
        assert_eq!(within(Duration::from_secs(5), &Cancel::new(), || 7), Ok(7));
    }

    #[test]
    fn a_stop_ends_the_wait() {
        let cancel = Cancel::new();
        let stop = cancel.clone();
        let started = Instant::now();
        let cut = within(Duration::from_secs(60), &cancel, move || {
            stop.interrupt();
            std::thread::sleep(Duration::from_secs(30));
        });
        assert_eq!(cut, Err(Cut::Stopped(Stop::Interrupted)));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_panic_is_raised_on_the_caller() {
        let outcome = std::panic::catch_unwind(|| {
            within(Duration::from_secs(5), &Cancel::new(), || -> u8 {
                panic!("in the read")
            })
        });
        assert!(outcome.is_err());
        assert_eq!(within(Duration::from_secs(5), &Cancel::new(), || 1), Ok(1));
    }

    #[test]
    fn files_are_read_to_the_cap() {
        let dir = std::env::temp_dir().join(format!("heap-audit-local-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.html");
        std::fs::write(&file, b"0123456789").unwrap();
        let timeout = Duration::from_secs(5);
        let (bytes, cut) = read(&file, 4, timeout, &Cancel::new()).unwrap();
        assert_eq!((bytes.as_slice(), cut), (&b"0123"[..], true));
        let (bytes, cut) = read(&file, 10, timeout, &Cancel::new()).unwrap();
        assert_eq!((bytes.len(), cut), (10, false));
        assert!(matches!(
            read(&dir, 10, timeout, &Cancel::new()),
            Err(ReadError::Io(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = std::env::temp_dir().join(format!("heap-audit-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("pipe.html");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("skipped: mkfifo is not available");
            return;
        }
        let started = Instant::now();
        let error = open(&fifo).map(|_| ()).unwrap_err();
        assert!(error.to_string().contains("FIFO"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
