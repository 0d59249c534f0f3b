//! Writing results to standard output without panicking.
//!
//! `println!` panics when standard output is a pipe whose reader has gone
//! (`ebm rbm export MODEL | head`). Results go through [`print_result`],
//! which stops quietly in that case and reports other write errors.

use std::io::{ErrorKind, Write};

/// Writes `text` and a newline to standard output. A closed pipe is not an
/// error (the reader has all it wanted); any other failure is.
pub fn print_result(text: &str) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != ErrorKind::BrokenPipe => {
            Err(format!("cannot write to standard output: {error}"))
        }
        _ => Ok(()),
    }
}
