//! Running commands: show each one, stop on failure, or hand over the process.

use std::fmt;
use std::process::Command;

#[derive(Debug)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub fn run(command: &mut Command) -> Result<(), Failure> {
    let shown = describe(command);
    println!("\n$ {shown}");
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(Failure(format!("`{shown}` failed ({status})"))),
        Err(err) => Err(Failure(format!("could not start `{shown}`: {err}"))),
    }
}

/// Like `run`, passing every line of stdout to `line` (after echoing it).
pub fn run_reading(command: &mut Command, mut line: impl FnMut(&str)) -> Result<(), Failure> {
    use std::io::{BufRead, BufReader, Write};
    let shown = describe(command);
    println!("\n$ {shown}");
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|err| Failure(format!("could not start `{shown}`: {err}")))?;
    if let Some(stdout) = child.stdout.take() {
        for text in BufReader::new(stdout).lines().map_while(Result::ok) {
            line(&text);
            println!("{text}");
            let _ = std::io::stdout().flush();
        }
    }
    match child.wait() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(Failure(format!("`{shown}` failed ({status})"))),
        Err(err) => Err(Failure(format!("`{shown}` did not finish: {err}"))),
    }
}

/// The command's stdout, or `None` when it cannot run or fails.
pub fn output(command: &mut Command) -> Option<String> {
    let out = command.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Replaces this process with `command`, so Ctrl-C reaches it directly.
#[cfg(unix)]
pub fn exec(mut command: Command) -> Result<(), Failure> {
    use std::os::unix::process::CommandExt;
    let err = command.exec();
    Err(Failure(format!(
        "could not start {}: {err}",
        describe(&command)
    )))
}

#[cfg(not(unix))]
pub fn exec(mut command: Command) -> Result<(), Failure> {
    run(&mut command)
}
