//! The pages of a local folder, as a web server would serve them: every `.html`/`.htm` file,
//! symbolic links followed (loops noticed), what cannot be read named and skipped; and, when a
//! cap leaves pages out, which pages make a fair sample of the folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::model::ProblemKind;
use crate::source::limits::{Cancel, Stop};
use crate::source::local;
use crate::source::repo;
use crate::source::site::digits_as_n;

/// What listing a local folder found.
#[derive(Debug, Default)]
pub struct Listing {
    /// Every page (`.html`/`.htm` regular file, symbolic links followed) under the folder, sorted.
    pub files: Vec<PathBuf>,
    /// What was left out, and why: one entry per path (a folder that could not be read, a
    /// symbolic link loop, a FIFO named like a page, ...): those reached through no link sorted
    /// by path, then those behind links in the order met.
    pub skipped: Vec<Skip>,
    /// Set when the run stopped before the folder was listed whole.
    pub stopped: Option<Stop>,
    /// A file met whose name makes a source repository of a folder without a project file
    /// ([`crate::source::repo::names_source`]: a template, an app manifest), if any. A listing
    /// without one is a folder of built pages, with no second walk to decide it.
    pub source_hint: Option<PathBuf>,
}

/// A path a listing left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub path: PathBuf,
    /// Whether it is a folder (it is then shown with a trailing `/`).
    pub dir: bool,
    pub kind: ProblemKind,
    /// Why, without the path (the problem names it beside).
    pub message: String,
}

/// Which folder is which, whatever path reached it: its device and inode (on Windows, its
/// canonical path).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum DirId {
    #[cfg_attr(not(unix), allow(dead_code))]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

impl DirId {
    fn of(path: &Path, meta: &std::fs::Metadata) -> Option<DirId> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let _ = path;
            Some(DirId::Inode(meta.dev(), meta.ino()))
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            std::fs::canonicalize(path).ok().map(DirId::Path)
        }
    }
}

/// A folder to list: where it was met, which folder it is, and whether a symbolic link led
/// there.
struct Queued {
    path: PathBuf,
    id: Option<DirId>,
    link: bool,
}

/// What listing one folder found.
#[derive(Default)]
struct Entries {
    files: Vec<PathBuf>,
    source_hint: Option<PathBuf>,
    dirs: Vec<Queued>,
    skipped: Vec<Skip>,
}

/// Sort paths in `Path`'s order (component by component), faster: on Unix, by their bytes with
/// each `/` read as a NUL, which no name holds and which sorts before every byte a name may hold,
/// so that a name ends before a longer one goes on (`a/x` before `a!x`, as components say). A
/// listing's paths are joined from names, with none of the `.` or doubled separators that
/// components would skip. (10,000 pages: 1-2 ms, against about 14 ms comparing components.)
fn sort_paths(paths: &mut [PathBuf]) {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        paths.sort_by_cached_key(|p| {
            p.as_os_str()
                .as_bytes()
                .iter()
                .map(|&b| if b == b'/' { 0 } else { b })
                .collect::<Vec<u8>>()
        });
    }
    #[cfg(not(unix))]
    paths.sort();
}

/// Whether a file name is a page's: `.html` or `.htm`, in any case.
fn is_page_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".html") || lower.ends_with(".htm")
}

/// Every page under a local folder (see [`Listing`]), skipping hidden folders and `node_modules`.
///
/// Symbolic links are followed, to files and to folders. Each folder is listed once, whatever the
/// links to it: folders met through no link first, so a page is listed under its own path when it
/// is in the folder (`latest -> v2` lists `v2/`); a link to a folder that contains it (`loop ->
/// ..`, or `up -> /`) is a [`ProblemKind::SymlinkLoop`], not followed. A folder or entry that
/// cannot be read is one skip naming it, and the rest is listed; so is a FIFO, socket or device
/// named like a page (never opened), and a broken link named like one. Each folder is read within
/// `timeout` (a stalled network mount is skipped, not waited for), and until `cancel` stops the run.
pub fn list(root: &Path, timeout: Duration, cancel: &Cancel) -> Listing {
    let (real_root, root_id) = {
        let root = root.to_path_buf();
        local::guarded(timeout, cancel, move || {
            let id = std::fs::metadata(&root)
                .ok()
                .and_then(|meta| DirId::of(&root, &meta));
            (std::fs::canonicalize(&root).ok(), id)
        })
        .unwrap_or_default()
    };
    let real_root = Arc::new(real_root);
    let root = Queued {
        path: root.to_path_buf(),
        id: root_id,
        link: false,
    };
    // Folders reached through no link are listed first, on several threads, then those behind
    // links, in order (which path of a folder reached twice through a link is listed is the same
    // every run; a folder reached twice with no link, through a bind mount, is listed under
    // whichever path a listing thread meets first).
    let (mut listing, mut visited, mut linked) = list_direct(root, &real_root, timeout, cancel);
    if listing.stopped.is_some() {
        sort_paths(&mut listing.files);
        return listing;
    }
    linked.sort_by(|a, b| a.path.cmp(&b.path));
    let mut linked: std::collections::VecDeque<Queued> = linked.into();
    let mut direct = Vec::new();
    while let Some(dir) = direct.pop().or_else(|| linked.pop_front()) {
        if let Some(id) = &dir.id {
            if !visited.insert(id.clone()) {
                // Listed already, under another path.
                continue;
            }
        }
        let path = dir.path.clone();
        let real_root = Arc::clone(&real_root);
        let read = local::guarded(timeout, cancel, move || list_one(&path, &real_root));
        for sub in record(read, dir, &mut listing).into_iter().rev() {
            if sub.link {
                linked.push_back(sub);
            } else {
                direct.push(sub);
            }
        }
        if listing.stopped.is_some() {
            break;
        }
    }
    sort_paths(&mut listing.files);
    listing
}

/// How many threads list a folder, whatever the cores and `--concurrency`: listing is system
/// calls, a few per folder, and more threads than cores still gained, measured on 2 cores only (a
/// machine with 1 core gets 4 too; a thread that cannot be started leaves its work to the others).
/// With 4 threads instead of 2, a whole audit of the 10,000-page benchmark folder took 0.50 s
/// instead of 0.52 (medians of 13 interleaved runs), and listing the 100,000-page one
/// (`--max-pages 1`) 1.02-1.06 s instead of 1.13-1.14.
const LISTERS: usize = 4;

/// The folders under `root` reached through no link, listed on up to [`LISTERS`] threads: what
/// they hold (its skips sorted by path, as threads meet them in any order), the folders listed,
/// and the links to folders met, still to list.
fn list_direct(
    root: Queued,
    real_root: &Arc<Option<PathBuf>>,
    timeout: Duration,
    cancel: &Cancel,
) -> (Listing, std::collections::HashSet<DirId>, Vec<Queued>) {
    #[derive(Default)]
    struct Shared {
        queue: Vec<Queued>,
        /// Folders being listed: the work ends when none is, and the queue is empty.
        busy: usize,
        /// Threads waiting for a folder to list: woken only when there are some (a wake-up per
        /// folder was most of the listing's system time).
        idle: usize,
        visited: std::collections::HashSet<DirId>,
        linked: Vec<Queued>,
        listing: Listing,
    }
    let shared = std::sync::Mutex::new(Shared {
        queue: vec![root],
        ..Default::default()
    });
    let changed = std::sync::Condvar::new();
    let lock = || shared.lock().unwrap_or_else(|e| e.into_inner());
    let work = || {
        let mut state = lock();
        loop {
            let dir = loop {
                if state.listing.stopped.is_some() {
                    return;
                }
                if let Some(dir) = state.queue.pop() {
                    break dir;
                }
                if state.busy == 0 {
                    return;
                }
                state.idle += 1;
                state = changed.wait(state).unwrap_or_else(|e| e.into_inner());
                state.idle -= 1;
            };
            if let Some(id) = &dir.id {
                if !state.visited.insert(id.clone()) {
                    continue;
                }
            }
            state.busy += 1;
            drop(state);
            let (path, real_root) = (dir.path.clone(), Arc::clone(real_root));
            let read = local::guarded(timeout, cancel, move || list_one(&path, &real_root));
            let mut entries = Listing::default();
            let subs = record(read, dir, &mut entries);
            state = lock();
            state.busy -= 1;
            let found = &mut state.listing;
            found.files.extend(entries.files);
            found.skipped.extend(entries.skipped);
            found.stopped = found.stopped.or(entries.stopped);
            found.source_hint = found.source_hint.take().or(entries.source_hint);
            for sub in subs {
                if sub.link {
                    state.linked.push(sub);
                } else {
                    state.queue.push(sub);
                }
            }
            // Someone waits for a folder, or for the end of the work.
            let end = state.busy == 0 || state.listing.stopped.is_some();
            if state.idle > 0 && (!state.queue.is_empty() || end) {
                changed.notify_all();
            }
        }
    };
    let threads = LISTERS;
    std::thread::scope(|scope| {
        for _ in 1..threads {
            // A helper that cannot be started leaves the work to the others.
            let _ = std::thread::Builder::new()
                .name("heap-audit-list".into())
                .spawn_scoped(scope, work);
        }
        work();
    });
    let Shared {
        visited,
        linked,
        mut listing,
        ..
    } = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    listing.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    (listing, visited, linked)
}

/// What reading one folder gave, into `listing`: its pages and skips, or why it was skipped, or
/// the stop. Returns its subfolders, in order.
fn record(
    read: Result<std::io::Result<Entries>, local::Cut>,
    dir: Queued,
    listing: &mut Listing,
) -> Vec<Queued> {
    match read {
        Ok(Ok(entries)) => {
            listing.files.extend(entries.files);
            if listing.source_hint.is_none() {
                listing.source_hint = entries.source_hint;
            }
            listing.skipped.extend(entries.skipped);
            return entries.dirs;
        }
        Ok(Err(e)) => listing.skipped.push(Skip {
            path: dir.path,
            dir: true,
            kind: ProblemKind::Io,
            message: format!("this folder could not be read, so its pages were not audited: {e}"),
        }),
        Err(local::Cut::Stopped(stop)) => listing.stopped = Some(stop),
        Err(cut) => listing.skipped.push(Skip {
            path: dir.path,
            dir: true,
            kind: ProblemKind::Timeout,
            message: format!(
                "this folder was {}, so its pages were not audited",
                cut.message()
            ),
        }),
    }
    Vec::new()
}

/// List one folder: its pages, its folders (with which folder each is, and whether a link leads
/// there), and what is left out. `real_root` is the listed folder's canonical path, to tell a link
/// to a folder that contains it.
fn list_one(dir: &Path, real_root: &Option<PathBuf>) -> std::io::Result<Entries> {
    let mut out = Entries::default();
    // The folder's own canonical path, worked out only if a link to a folder is met.
    let mut real_dir: Option<Option<PathBuf>> = None;
    for entry in std::fs::read_dir(dir)? {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                out.skipped.push(Skip {
                    path: dir.to_path_buf(),
                    dir: true,
                    kind: ProblemKind::Io,
                    message: format!("an entry of this folder could not be read: {e}"),
                });
                continue;
            }
        };
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let skip = |kind, message: String| Skip {
            path: path.clone(),
            dir: false,
            kind,
            message,
        };
        let own = match entry.file_type() {
            Ok(kind) => kind,
            Err(e) => {
                if is_page_name(&name) {
                    out.skipped
                        .push(skip(ProblemKind::Io, format!("cannot read: {e}")));
                }
                continue;
            }
        };
        let link = own.is_symlink();
        let meta = if link {
            std::fs::metadata(&path)
        } else if own.is_dir() {
            entry.metadata()
        } else {
            // A file: its own type says all.
            if own.is_file() {
                if is_page_name(&name) {
                    out.files.push(path);
                } else if out.source_hint.is_none() && repo::names_source(&name) {
                    out.source_hint = Some(path);
                }
            } else if let Some(what) = local::special(&own).filter(|_| is_page_name(&name)) {
                out.skipped.push(skip(
                    ProblemKind::NotAFile,
                    format!("{what}, not a file: skipped, never opened"),
                ));
            }
            continue;
        };
        let meta = match meta {
            Ok(meta) => meta,
            Err(e) if link && e.raw_os_error() == Some(ELOOP) => {
                out.skipped.push(skip(
                    ProblemKind::SymlinkLoop,
                    format!("a symbolic link that leads back to itself, not followed: {e}"),
                ));
                continue;
            }
            Err(e) => {
                if is_page_name(&name) || !link {
                    let what = if link {
                        "a broken symbolic link"
                    } else {
                        "cannot read"
                    };
                    out.skipped
                        .push(skip(ProblemKind::Io, format!("{what}: {e}")));
                }
                continue;
            }
        };
        let kind = meta.file_type();
        if kind.is_dir() {
            if name.starts_with('.') || name == "node_modules" {
                continue;
            }
            if link {
                let real_dir = real_dir.get_or_insert_with(|| std::fs::canonicalize(dir).ok());
                if let Ok(target) = std::fs::canonicalize(&path) {
                    let contains = |inner: &Option<PathBuf>| {
                        inner
                            .as_ref()
                            .is_some_and(|inner| inner.starts_with(&target))
                    };
                    if contains(real_dir) || contains(real_root) {
                        let message = format!(
                            "a symbolic link to {}, a folder that contains it: not followed (a loop)",
                            target.display()
                        );
                        out.skipped.push(Skip {
                            dir: true,
                            ..skip(ProblemKind::SymlinkLoop, message)
                        });
                        continue;
                    }
                }
            }
            out.dirs.push(Queued {
                id: DirId::of(&path, &meta),
                path,
                link,
            });
        } else if kind.is_file() {
            if is_page_name(&name) {
                out.files.push(path);
            } else if out.source_hint.is_none() && repo::names_source(&name) {
                out.source_hint = Some(path);
            }
        } else if let Some(what) = local::special(&kind).filter(|_| is_page_name(&name)) {
            out.skipped.push(skip(
                ProblemKind::NotAFile,
                format!("a symbolic link to {what}, not a file: skipped, never opened"),
            ));
        }
    }
    // Sorted, so that which path of a folder reached twice is listed is the same every run.
    out.dirs.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// `ELOOP`: too many levels of symbolic links.
#[cfg(unix)]
const ELOOP: i32 = libc::ELOOP;
#[cfg(not(unix))]
const ELOOP: i32 = -1;

/// The order in which a capped folder's pages are taken, so that any first N of them are a
/// sample of the whole: round-robin, at every level of the tree, over the folder's own files and
/// its subfolders, grouped by name pattern (digit runs as `N`: `post-1.html`, `post-2.html` are
/// one group; so are `2023/` and `2024/`). The first pages taken are then one of each file
/// pattern and one from each folder pattern, and so on down; never the alphabetical head.
/// `paths` are relative, split into their components; the answer is indices into them, every one
/// once. Deterministic: groups and names are taken in sorted order.
pub fn spread(paths: &[Vec<String>]) -> Vec<usize> {
    #[derive(Default)]
    struct Node {
        files: Vec<(String, usize)>,
        dirs: std::collections::BTreeMap<String, Node>,
    }
    fn order(node: Node) -> Vec<usize> {
        let mut files = node.files;
        files.sort();
        let mut file_groups: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
        for (name, index) in files {
            file_groups
                .entry(digits_as_n(&name))
                .or_default()
                .push(index);
        }
        let mut dir_groups: std::collections::BTreeMap<String, Vec<Vec<usize>>> =
            Default::default();
        for (name, child) in node.dirs {
            dir_groups
                .entry(digits_as_n(&name))
                .or_default()
                .push(order(child));
        }
        let mut sequences: Vec<Vec<usize>> = file_groups.into_values().collect();
        sequences.extend(dir_groups.into_values().map(round_robin));
        round_robin(sequences)
    }
    let mut root = Node::default();
    for (index, parts) in paths.iter().enumerate() {
        let Some((name, dirs)) = parts.split_last() else {
            continue;
        };
        let mut node = &mut root;
        for dir in dirs {
            node = node.dirs.entry(dir.clone()).or_default();
        }
        node.files.push((name.clone(), index));
    }
    order(root)
}

/// One item of each sequence in turn, then the second of each, ... (linear in the items).
fn round_robin(sequences: Vec<Vec<usize>>) -> Vec<usize> {
    let total = sequences.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total);
    let mut turns: std::collections::VecDeque<std::vec::IntoIter<usize>> =
        sequences.into_iter().map(Vec::into_iter).collect();
    while let Some(mut turn) = turns.pop_front() {
        if let Some(item) = turn.next() {
            out.push(item);
            turns.push_back(turn);
        }
    }
    out
}

/// At most `cap` of a folder's pages, picked by [`spread`] and given back sorted.
pub fn sample(files: Vec<PathBuf>, root: &Path, cap: usize) -> Vec<PathBuf> {
    if files.len() <= cap {
        return files;
    }
    let parts: Vec<Vec<String>> = files
        .iter()
        .map(|f| {
            f.strip_prefix(root)
                .unwrap_or(f)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .collect();
    let mut keep: Vec<usize> = spread(&parts).into_iter().take(cap).collect();
    keep.sort_unstable();
    let mut files: Vec<Option<PathBuf>> = files.into_iter().map(Some).collect();
    keep.into_iter()
        .filter_map(|i| files.get_mut(i).and_then(Option::take))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_sort_in_the_order_of_their_components() {
        // Names with bytes below and above `/` (`!`, `-`, `.`, `0`, `~`, UTF-8), prefixes of
        // each other, and deeper paths: byte order alone would put `a!x` before `a/x`.
        let names = [
            "a", "a!x", "a-b", "a.b", "a b", "ab", "a~", "A", "é", "a0", "z", "a/b", "a/b/c",
            "a/b!", "a/b-c/d", "a!/b", "a-b/c", "a/bc", "ab/c", "é/x", "a/b/c/d",
        ];
        let mut paths: Vec<PathBuf> = names
            .iter()
            .map(|n| Path::new("/site/root").join(n).join("index.html"))
            .collect();
        let mut expected = paths.clone();
        expected.sort();
        paths.reverse();
        sort_paths(&mut paths);
        assert_eq!(paths, expected);
        // And plain byte order would not have done.
        let mut bytes = expected.clone();
        bytes.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
        assert_ne!(bytes, expected);
    }

    /// A wide and deep tree, listed on several threads: every page once, under its own path
    /// (not the link's), sorted, whatever thread met it; the skips in path order; a template
    /// deep down is the source hint, and a tree of pages alone has none.
    #[test]
    fn a_tree_listed_on_several_threads_gives_every_page_once_in_order() {
        let root = std::env::temp_dir().join(format!("heap-audit-list-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let mut expected = Vec::new();
        for a in 0..12 {
            for b in 0..12 {
                let dir = root.join(format!("s{a}/p{b}/deep/er"));
                std::fs::create_dir_all(&dir).unwrap();
                for page in [dir.join("index.html"), root.join(format!("s{a}/p{b}.htm"))] {
                    std::fs::write(&page, "<p>").unwrap();
                    expected.push(page);
                }
                std::fs::write(dir.join("notes.txt"), "").unwrap();
            }
        }
        // Hidden folders and node_modules are not listed; a link to a listed folder adds nothing.
        for skipped in [".git", "node_modules"] {
            std::fs::create_dir_all(root.join(skipped)).unwrap();
            std::fs::write(root.join(skipped).join("x.html"), "").unwrap();
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("s3"), root.join("latest")).unwrap();
            std::os::unix::fs::symlink(root.join("gone"), root.join("z-broken.html")).unwrap();
            std::os::unix::fs::symlink(root.join("gone"), root.join("a-broken.html")).unwrap();
        }
        expected.sort();
        let cancel = Cancel::new();
        let listing = list(&root, Duration::from_secs(10), &cancel);
        assert_eq!(listing.files, expected);
        assert_eq!(listing.source_hint, None);
        assert!(listing.stopped.is_none());
        #[cfg(unix)]
        {
            let skipped: Vec<_> = listing.skipped.iter().map(|s| s.path.clone()).collect();
            assert_eq!(
                skipped,
                [root.join("a-broken.html"), root.join("z-broken.html")]
            );
        }
        let template = root.join("s11/p7/deep/er/page.liquid");
        std::fs::write(&template, "{{ x }}").unwrap();
        let listing = list(&root, Duration::from_secs(10), &cancel);
        assert_eq!(listing.source_hint, Some(template));
        assert_eq!(listing.files, expected);
        let _ = std::fs::remove_dir_all(&root);
    }

    fn split(paths: &[&str]) -> Vec<Vec<String>> {
        paths
            .iter()
            .map(|p| p.split('/').map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn a_spread_takes_every_folder_and_pattern_first() {
        let mut paths: Vec<String> = (1..=50).map(|n| format!("blog/post-{n}.html")).collect();
        paths.extend((2020..=2024).map(|y| format!("news/{y}/index.html")));
        paths.extend(["about.html", "index.html", "docs/a.html", "docs/b.html"].map(String::from));
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let order = spread(&split(&refs));
        // Every page once.
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..paths.len()).collect::<Vec<_>>());
        let first: Vec<&str> = order[..5].iter().map(|&i| refs[i]).collect();
        // The root's two file patterns, then one of each folder.
        assert_eq!(
            first,
            [
                "about.html",
                "index.html",
                "blog/post-1.html",
                "docs/a.html",
                "news/2020/index.html"
            ]
        );
        // The next round: one more of each folder that has more.
        let second: Vec<&str> = order[5..8].iter().map(|&i| refs[i]).collect();
        assert_eq!(
            second,
            ["blog/post-10.html", "docs/b.html", "news/2021/index.html"]
        );
        // The same every time, whatever order the files were listed in.
        let mut reversed = refs.clone();
        reversed.reverse();
        let again: Vec<&str> = spread(&split(&reversed))
            .into_iter()
            .map(|i| reversed[i])
            .collect();
        let once: Vec<&str> = order.iter().map(|&i| refs[i]).collect();
        assert_eq!(again, once);
    }

    #[test]
    fn a_sample_is_given_back_sorted() {
        let root = Path::new("/srv/site");
        let files: Vec<PathBuf> = ["a/1.html", "a/2.html", "a/3.html", "b/x.html", "index.html"]
            .iter()
            .map(|f| root.join(f))
            .collect();
        let picked = sample(files.clone(), root, 3);
        assert_eq!(
            picked,
            ["a/1.html", "b/x.html", "index.html"].map(|f| root.join(f))
        );
        assert_eq!(sample(files.clone(), root, 10), files);
    }
}
