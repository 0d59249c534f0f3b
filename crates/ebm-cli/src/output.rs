//! Writing results without panicking or losing work.
//!
//! `println!` panics when standard output is a pipe whose reader has gone
//! (`ebm rbm export MODEL | head`). Results go through [`print_result`],
//! which stops quietly in that case and reports other write errors; the
//! messages of the training commands through [`say!`](say), which drops a
//! line it cannot write.
//! Commands that train for a while and then write files check first, with
//! [`check_output_directory`], that they will be able to.

use anyhow::anyhow;
use std::io::{ErrorKind, Write};
use std::path::Path;

/// An error unless the directory that `out` is to be written in exists (the
/// current one for a bare file name): a training command calls it before it
/// starts, rather than failing at the end and losing the run.
pub fn check_output_directory(out: &Path) -> anyhow::Result<()> {
    let directory = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if directory.is_dir() {
        Ok(())
    } else {
        Err(anyhow!(
            "cannot write {}: the directory {} does not exist (create it first)",
            out.display(),
            directory.display()
        ))
    }
}

/// `say!(…)`: a line of progress or of a summary, formatted as by
/// `println!`, written to standard output — and dropped if it cannot be
/// written (a closed pipe, `ebm rbm train … | head`), so that a command that
/// trains for a while goes on to write its model, log and pictures.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        drop(writeln!(std::io::stdout(), $($arg)*));
    }};
}
pub(crate) use say;

/// Writes `text` and a newline to standard output. A closed pipe is not an
/// error (the reader has all it wanted); any other failure is.
pub fn print_result(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != ErrorKind::BrokenPipe => {
            Err(anyhow!("cannot write to standard output: {error}"))
        }
        _ => Ok(()),
    }
}

/// Writes `rows` as CSV to `path` (atomically): a header `v0,v1,…` naming
/// the columns (the visible units), then one line per row.
pub fn write_rows_csv(path: &Path, rows: &nalgebra::DMatrix<f32>) -> anyhow::Result<()> {
    let header: Vec<String> = (0..rows.ncols()).map(|i| format!("v{i}")).collect();
    let mut csv = header.join(",") + "\n";
    for row in rows.row_iter() {
        let cells: Vec<String> = row.iter().map(f32::to_string).collect();
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    ebm_core::file::write_atomic(path, csv.as_bytes())?;
    say!("wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_in_a_missing_directory_is_refused_before_any_work() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_output_directory(&dir.path().join("model.ebm")).is_ok());
        assert!(check_output_directory(Path::new("model.ebm")).is_ok());
        let missing = dir.path().join("absent").join("model.ebm");
        let error = check_output_directory(&missing).unwrap_err();
        assert!(error.to_string().contains("does not exist"), "{error}");
    }

    #[test]
    fn rows_are_written_as_csv_with_a_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.csv");
        let rows = nalgebra::DMatrix::from_row_slice(2, 3, &[0.0, 0.25, 1.0, 0.5, 1e-8, -2.0]);
        write_rows_csv(&path, &rows).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "v0,v1,v2\n0,0.25,1\n0.5,0.00000001,-2\n");
    }
}
