//! `podmark serve`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

/// Arguments of `podmark serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// The folder to serve: what `podmark build` wrote.
    #[arg(value_name = "DIR", default_value = "feed")]
    dir: PathBuf,
    /// Address and port to listen on. The default answers only this machine; use 0.0.0.0:8080 to let
    /// phones on your network in, and port 0 to pick a free port.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Do not print the access log (one line per request, on stderr).
    #[arg(long, short)]
    quiet: bool,
}

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let log: Option<podmark::serve::AccessLog> =
        (!args.quiet).then(|| Arc::new(|rec: &podmark::serve::AccessRecord| eprintln!("{rec}")) as _);
    let app = podmark::serve::router(&args.dir, log).with_context(|| format!("cannot serve {}", args.dir.display()))?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let addr = listener.local_addr()?;
        if !addr.ip().is_loopback() {
            eprintln!(
                "podmark: warning: listening on {addr}: every machine that can reach this one can read {}",
                args.dir.display()
            );
        }
        // A closed stdout (`podmark serve | head -1`) must not stop the server, so write errors are
        // ignored here.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "Serving {} at http://{addr}/ (Ctrl-C to stop)", args.dir.display());
        if args.dir.join("feed.xml").is_file() {
            let _ = writeln!(out, "Feed: http://{addr}/feed.xml");
        }
        let _ = out.flush();
        drop(out);
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
            eprintln!("podmark: stopping (waiting up to 5 s for downloads in progress)");
        };
        podmark::serve::serve(listener, app, shutdown, Duration::from_secs(5)).await.context("server failed")?;
        Ok(ExitCode::SUCCESS)
    });
    // Connections still open after the grace period are dropped here, not waited for.
    runtime.shutdown_background();
    result
}
