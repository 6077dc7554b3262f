//! `carnet`: parse the command line, then hand over to the library.

use carnet::config::Cli;
use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&cli.global.log).unwrap_or_else(|_| "info".into()))
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
    tracing::debug!(config = ?cli.global, "starting");
    if let Err(message) = carnet::commands::run(cli).await {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}
