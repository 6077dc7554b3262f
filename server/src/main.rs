//! `carnet`: parse the command line, then hand over to the library.

use carnet::config::Cli;
use clap::Parser;

/// mimalloc instead of glibc's allocator: an import's rows are made on one thread
/// and freed on another, and glibc's spent a fifth of a large import's processor time
/// in malloc, free and their locks; mimalloc keeps a heap per thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Before the runtime's threads start.
    keep_large_blocks_out_of_the_heap();
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("start the runtime").block_on(run());
}

async fn run() {
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

/// Large blocks (argon2's 19 MiB for each password checked, big imports and exports)
/// are mapped for themselves and given back when freed. glibc's default raises its
/// mapping threshold after the first such block is freed, and every later one came
/// from the heap and stayed there: each sign-in added 19 MiB the server never gave
/// back, up to about 130 MiB (measured: seven sign-ins, 12 → 158 MiB; with a fixed
/// threshold, 12 → 13 MiB). Blocks of 4 MiB and more are mapped; below, the heap.
fn keep_large_blocks_out_of_the_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any other
    // thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}
