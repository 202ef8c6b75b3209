//! Runs the demo application: configuration from the environment (see
//! `gatehouse_demo_app::Config::from_env`), served on `DEMO_LISTEN`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let config = gatehouse_demo_app::Config::from_env()?;
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    tracing::info!("demo app at {}", config.base_url);
    let app = gatehouse_demo_app::app(config)?;
    axum::serve(listener, app).await.map_err(|e| e.to_string())
}
