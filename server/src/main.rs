use clap::Parser;
use console_server::bundles;
use console_server::cli::{AuditCommand, Command, OperatorsCommand, Options};
use console_server::console::audit;
use console_server::security::operators;
use console_server::serve;

fn main() {
    cap_allocator_arenas();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(run());
}

/// glibc gives each thread that allocates its own arena, up to eight per core, and keeps what
/// they free: the index's pass, its blocking store tasks and the readers held 120 MB more at
/// a million devices than with two arenas, for no speed (measured: 446 → 330 MB, 104 → 106 s).
/// Set before any thread starts.
fn cap_allocator_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's settings; no thread allocates yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

async fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "console_server=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let options = Options::parse();
    if let Some(Command::Operators(OperatorsCommand::Add { name, role })) = &options.command {
        let path = options
            .operators
            .clone()
            .unwrap_or_else(|| "operators.json".into());
        match operators::add_operator(&path, name, *role) {
            Ok(token) => {
                // The one time the token is shown: the file keeps only its hash.
                println!("{token}");
                eprintln!(
                    "console-server: added {name} ({}) to {}; the token above is shown only now",
                    role.name(),
                    path.display()
                );
                return;
            }
            Err(err) => {
                eprintln!("console-server: {err}");
                std::process::exit(1);
            }
        }
    }
    if let Some(Command::Bundle(command)) = &options.command {
        match bundles::run(command) {
            Ok(said) => {
                println!("{said}");
                return;
            }
            Err(err) => {
                eprintln!("console-server: {err}");
                std::process::exit(1);
            }
        }
    }
    if let Some(Command::Audit(AuditCommand::Verify)) = &options.command {
        let verdict = match console_server::open_store(&options).await {
            Ok(store) => audit::verify(&store).await.map_err(|err| err.to_string()),
            Err(err) => Err(err),
        };
        match verdict {
            Ok(verdict) if verdict.intact => {
                println!("audit log intact: {} entries", verdict.entries);
                return;
            }
            Ok(verdict) => {
                println!(
                    "audit log BROKEN after {} good entries: {}",
                    verdict.entries,
                    verdict.problem.unwrap_or_default()
                );
                std::process::exit(2);
            }
            Err(err) => {
                eprintln!("console-server: {err}");
                std::process::exit(1);
            }
        }
    }
    if let Err(err) = serve(options).await {
        eprintln!("console-server: {err}");
        std::process::exit(1);
    }
}
