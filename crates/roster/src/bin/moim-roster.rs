//! Stand-alone entry point for the roster CLI until `moim roster ...` mounts it:
//! `cargo run -p moim-roster --release -- solve FILE`.
#![forbid(unsafe_code)]

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "moim-roster",
    about = "moim roster engine: solve and check shift rosters"
)]
struct Cli {
    #[command(subcommand)]
    cmd: roster::cli::RosterCommand,
}

fn main() -> anyhow::Result<()> {
    roster::cli::run(Cli::parse().cmd)
}
