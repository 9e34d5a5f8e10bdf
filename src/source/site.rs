//! What a target is (a web origin, or a local build folder), which URLs belong to it, and how
//! URLs are shown in the report.

use std::path::{Path, PathBuf};

use url::Url;

/// One site being audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Site {
    /// A live site; pages and first-party scripts share this origin (`https://example.com`).
    Web { origin: String },
    /// A local folder: `root` is its `file:` URL (ending in `/`); `display` is the folder as the
    /// user wrote it, used to show page paths.
    Dir { root: Url, display: String },
}

impl Site {
    /// A local folder (or the folder of a single file).
    pub fn dir(path: &Path, display: &str) -> Option<Site> {
        let abs = std::path::absolute(path).ok()?;
        let mut root = Url::from_directory_path(abs).ok()?;
        root.set_fragment(None);
        Some(Site::Dir {
            root,
            display: display.trim_end_matches('/').to_owned(),
        })
    }

    pub fn web(url: &Url) -> Site {
        Site::Web {
            origin: url.origin().ascii_serialization(),
        }
    }

    /// The name of the site in the report.
    pub fn name(&self) -> &str {
        match self {
            Site::Web { origin } => origin,
            Site::Dir { display, .. } => display,
        }
    }

    /// Whether a URL is part of this site (same origin, or inside the folder).
    pub fn contains(&self, url: &Url) -> bool {
        match self {
            Site::Web { origin } => url.origin().ascii_serialization() == *origin,
            Site::Dir { root, .. } => {
                url.scheme() == "file" && url.as_str().starts_with(root.as_str())
            }
        }
    }

    /// Resolve an `href`/`src` written on a page. In a folder, `/x` means the folder's root.
    pub fn resolve(&self, base: &Url, href: &str) -> Option<Url> {
        let href = href.trim();
        if href.is_empty() {
            return None;
        }
        if let Site::Dir { root, .. } = self {
            if let Some(rooted) = href.strip_prefix('/').filter(|h| !h.starts_with('/')) {
                return root.join(rooted).ok();
            }
        }
        let mut url = base.join(href).ok()?;
        url.set_fragment(None);
        Some(url)
    }

    /// How a URL is shown: unchanged on the web, as a path under the folder for local files.
    pub fn display(&self, url: &Url) -> String {
        match self {
            Site::Dir { root, display } if url.as_str().starts_with(root.as_str()) => {
                let rest = &url.as_str()[root.as_str().len()..];
                let rest = percent_decode(rest);
                if display.is_empty() || display == "." {
                    rest
                } else {
                    format!("{display}/{rest}")
                }
            }
            _ => url.to_string(),
        }
    }
}

/// Every `.html`/`.htm` file under a folder, sorted, skipping hidden folders and `node_modules`.
pub fn html_files(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let kind = entry.file_type()?;
            if kind.is_dir() {
                if !name.starts_with('.') && name != "node_modules" {
                    stack.push(path);
                }
            } else if name.ends_with(".html") || name.ends_with(".htm") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_root_relative_paths_stay_inside() {
        let site = Site::dir(Path::new("/srv/dist"), "dist/").unwrap();
        let page = Url::parse("file:///srv/dist/blog/post.html").unwrap();
        let js = site.resolve(&page, "/static/app.js").unwrap();
        assert_eq!(js.as_str(), "file:///srv/dist/static/app.js");
        assert!(site.contains(&js));
        assert_eq!(site.display(&js), "dist/static/app.js");
        let rel = site.resolve(&page, "../img/a%20b.png").unwrap();
        assert_eq!(site.display(&rel), "dist/img/a b.png");
        let cdn = site.resolve(&page, "https://cdn.segment.com/x.js").unwrap();
        assert!(!site.contains(&cdn));
    }

    #[test]
    fn web_same_origin() {
        let start = Url::parse("https://shop.example.com/a/b?x=1#top").unwrap();
        let site = Site::web(&start);
        assert_eq!(site.name(), "https://shop.example.com");
        let link = site.resolve(&start, "../c#frag").unwrap();
        assert_eq!(link.as_str(), "https://shop.example.com/c");
        assert!(site.contains(&link));
        assert!(!site.contains(&Url::parse("http://shop.example.com/").unwrap()));
        assert!(!site.contains(&Url::parse("https://blog.example.com/").unwrap()));
    }
}
