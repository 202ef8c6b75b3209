//! Fills a migrated Gatehouse database with a generated business for load tests:
//! `cargo run --release -p gatehouse-store --features testing --example seed -- <database-url> <users>`
//! Prints the business id and one tenant id.

#![allow(clippy::print_stdout)]

use gatehouse_store::testing::{SeedSpec, seed};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: seed <database-url> <users>")?;
    let users: usize = args
        .next()
        .ok_or("usage: seed <database-url> <users>")?
        .parse()?;
    let store =
        gatehouse_store::connect(&gatehouse_store::ConnectOptions::new(url.clone())).await?;
    store.close().await;
    let seeded = seed(&url, &SeedSpec::engine(users)).await?;
    println!("business={} tenant={}", seeded.business, seeded.tenants[0]);
    Ok(())
}
