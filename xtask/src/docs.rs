//! `cargo xtask docs`: builds the mdBook site into `target/docs` and the API
//! docs into `target/docs/api`, installing the pinned tools when they are missing.
//!
//! The tools go to `target/tools` (`cargo install --root`), so the build never
//! depends on what else is on the machine's PATH. Mathematics is rendered at
//! build time by the KaTeX preprocessor and styled by the KaTeX stylesheet and
//! fonts vendored in `docs/src/katex`, so the pages need no network.

use crate::tools::{Tool, cargo, ensure_tools, run_command, tools_root};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// mdBook and its KaTeX preprocessor (a pair that speaks the same preprocessor protocol).
const TOOLS: [Tool; 2] = [
    Tool {
        name: "mdbook",
        version: "0.5.4",
        install_args: &["--no-default-features", "--features", "search"],
        version_args: &["--version"],
    },
    Tool { name: "mdbook-katex", version: "0.10.0", install_args: &[], version_args: &["--version"] },
];

/// Options of `cargo xtask docs`.
#[derive(clap::Args)]
pub struct DocsArgs {
    /// Fail instead of installing a missing tool.
    #[arg(long)]
    no_install: bool,
    /// Build only the book, not the API docs.
    #[arg(long)]
    book_only: bool,
}

/// Copies the directory tree `from` into `to`.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The HTML files under `dir` that load a stylesheet, script or font from the network.
fn pages_needing_network(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            pages_needing_network(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "html") {
            let html = std::fs::read_to_string(&path)?;
            let remote = ["href=\"http", "src=\"http", "url(http"];
            let loads_remote = html.split('<').any(|tag| {
                (tag.starts_with("link") || tag.starts_with("script"))
                    && remote.iter().any(|r| tag.contains(r))
            });
            if loads_remote {
                found.push(path);
            }
        }
    }
    Ok(())
}

/// Builds the book into `target/docs` and the API docs into `target/docs/api`.
pub fn run(args: &DocsArgs) -> Result<ExitCode, String> {
    ensure_tools(&TOOLS, args.no_install)?;
    let bin = std::fs::canonicalize(tools_root().join("bin")).map_err(|e| e.to_string())?;
    let path = std::env::join_paths(
        std::iter::once(bin.clone())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .map_err(|e| e.to_string())?;
    let book = PathBuf::from("target/docs");
    run_command(
        Command::new(bin.join("mdbook")).args(["build", "docs", "--dest-dir"]).arg(&book).env("PATH", &path),
        "mdbook build",
    )?;
    if !args.book_only {
        run_command(
            Command::new(cargo()).args([
                "doc",
                "--workspace",
                "--no-deps",
                "--lib",
                "--exclude",
                "ebm-benches",
            ]),
            "cargo doc",
        )?;
        copy_tree(Path::new("target/doc"), &book.join("api"))
            .map_err(|e| format!("copying the API docs: {e}"))?;
    }
    let mut remote = Vec::new();
    pages_needing_network(&book, &mut remote).map_err(|e| format!("scanning the book: {e}"))?;
    if let Some(page) = remote.first() {
        return Err(format!(
            "{} pages load resources from the network, e.g. {}",
            remote.len(),
            page.display()
        ));
    }
    println!("docs: {}", book.join("index.html").display());
    Ok(ExitCode::SUCCESS)
}
