use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = certbatch::cli::Cli::parse();
    match certbatch::cli::dispatch(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line (the chain of causes joined), as the contract asks.
            eprintln!("certbatch: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
