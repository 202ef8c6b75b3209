use super::*;

fn cheap() -> PasswordHasher {
    cheap_with_workers(2)
}

async fn hashed(h: &PasswordHasher) -> String {
    h.hash("violet kettle marches north", [1; 16])
        .await
        .unwrap()
}

fn cheap_with_workers(workers: usize) -> PasswordHasher {
    let params = Argon2Params {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
    PasswordHasher::new(params, workers).unwrap()
}

#[tokio::test]
async fn hash_and_verify() {
    let h = cheap();
    let phc = hashed(&h).await;
    assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
    assert!(
        h.verify("violet kettle marches north", Some(&phc))
            .await
            .unwrap()
    );
    assert!(
        !h.verify("violet kettle marches south", Some(&phc))
            .await
            .unwrap()
    );
    assert!(
        !h.verify("no account has this password", None)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn default_parameters_are_owasps() {
    let h = PasswordHasher::new(Argon2Params::default(), 1).unwrap();
    let phc = h
        .hash("violet kettle marches north", [2; 16])
        .await
        .unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert!(
        h.verify("violet kettle marches north", Some(&phc))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn long_unicode_is_not_truncated() {
    let h = cheap();
    let long: String = "🦀ü".repeat(150);
    let phc = h.hash(&long, [3; 16]).await.unwrap();
    let mut other = long.clone();
    other.push('x');
    assert!(h.verify(&long, Some(&phc)).await.unwrap());
    assert!(!h.verify(&other, Some(&phc)).await.unwrap());
}

/// What the argon2 crate itself writes for `password` and `salt` under `params`: the PHC
/// strings stored before the workers reused their memory.
fn argon2_crate_phc(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &str,
    salt: [u8; 16],
) -> String {
    use argon2::password_hash::{PasswordHasher as _, SaltString};
    let salt = SaltString::encode_b64(&salt).unwrap();
    Argon2::new(algorithm, version, params)
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_phc_string_is_the_argon2_crates_to_the_byte() {
    for (h, params) in [
        (cheap(), Params::new(64, 1, 1, None).unwrap()),
        (PasswordHasher::owasp(1), Params::DEFAULT),
    ] {
        for (password, salt) in [("violet kettle marches north", [9; 16]), ("🦀ü", [0; 16])] {
            let ours = h.hash(password, salt).await.unwrap();
            let theirs = argon2_crate_phc(ALGORITHM, VERSION, params.clone(), password, salt);
            assert_eq!(ours, theirs);
        }
    }
}

#[tokio::test]
async fn hashes_stored_earlier_and_under_other_settings_verify_both_ways() {
    let h = cheap();
    let password = "violet kettle marches north";
    let older = [
        // Made by the argon2 crate with today's settings, with costlier ones (more memory
        // than a worker holds, more passes, two lanes), and with the other variants.
        argon2_crate_phc(
            ALGORITHM,
            VERSION,
            Params::new(64, 1, 1, None).unwrap(),
            password,
            [4; 16],
        ),
        argon2_crate_phc(
            ALGORITHM,
            VERSION,
            Params::new(256, 3, 2, None).unwrap(),
            password,
            [5; 16],
        ),
        argon2_crate_phc(
            Algorithm::Argon2i,
            VERSION,
            Params::new(64, 2, 1, None).unwrap(),
            password,
            [6; 16],
        ),
        argon2_crate_phc(
            ALGORITHM,
            Version::V0x10,
            Params::new(64, 1, 1, None).unwrap(),
            password,
            [7; 16],
        ),
        argon2_crate_phc(
            ALGORITHM,
            VERSION,
            Params::new(64, 1, 1, Some(64)).unwrap(),
            password,
            [8; 16],
        ),
    ];
    for phc in &older {
        assert!(h.verify(password, Some(phc)).await.unwrap(), "{phc}");
        assert!(
            !h.verify("violet kettle marches south", Some(phc))
                .await
                .unwrap(),
            "{phc}"
        );
    }
    // And what the workers write, the argon2 crate verifies.
    use argon2::PasswordVerifier as _;
    let ours = h.hash(password, [3; 16]).await.unwrap();
    let parsed = PasswordHash::new(&ours).unwrap();
    assert!(
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    );
    assert!(
        Argon2::default()
            .verify_password(b"violet kettle marches south", &parsed)
            .is_err()
    );
}

#[tokio::test]
async fn a_tampered_or_truncated_hash_matches_nothing() {
    let h = cheap();
    let phc = hashed(&h).await;
    let (head, last) = phc.split_at(phc.len() - 1);
    let flipped = format!("{head}{}", if last == "A" { "B" } else { "A" });
    let no_output = phc[..phc.rfind('$').unwrap()].to_owned();
    for bad in [flipped, no_output, phc.replace("argon2id", "argon2x")] {
        assert!(
            !h.verify("violet kettle marches north", Some(&bad))
                .await
                .unwrap_or(false),
            "{bad}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_callers_than_workers_all_get_their_answer() {
    let h = cheap();
    let callers: Vec<_> = (0..24u8)
        .map(|n| {
            let h = h.clone();
            tokio::spawn(async move {
                let password = format!("password number {n}");
                let phc = h.hash(&password, [n; 16]).await.unwrap();
                assert!(h.verify(&password, Some(&phc)).await.unwrap());
                assert!(!h.verify("someone else's", Some(&phc)).await.unwrap());
            })
        })
        .collect();
    for caller in callers {
        caller.await.unwrap();
    }
    assert_eq!(h.runs(), 72);
    assert_eq!(h.pool.available(), 2, "every permit came back");
}

#[tokio::test]
async fn a_panic_fails_its_caller_only_and_the_worker_goes_on() {
    let h = cheap_with_workers(1);
    let phc = hashed(&h).await;
    let panicked = h
        .pool
        .run(|_memory| -> u8 { panic!("a bug in the hashing") })
        .await;
    assert!(
        matches!(panicked, Err(Error::PasswordHashing(_))),
        "{panicked:?}"
    );
    // The one worker is still there, its memory still sound, and the permit came back.
    assert_eq!(h.pool.available(), 1);
    assert!(
        h.verify("violet kettle marches north", Some(&phc))
            .await
            .unwrap()
    );
    assert_eq!(
        h.hash("violet kettle marches north", [1; 16])
            .await
            .unwrap(),
        phc
    );
}

#[tokio::test]
async fn a_caller_that_gives_up_frees_its_place() {
    let h = PasswordHasher::owasp(1);
    let waiting = {
        let h = h.clone();
        tokio::spawn(async move { h.hash("violet kettle marches north", [1; 16]).await })
    };
    tokio::task::yield_now().await;
    waiting.abort();
    let _aborted = waiting.await;
    // Whether or not its hash ran, the single permit comes back and the next caller is served.
    let phc = h
        .hash("violet kettle marches north", [2; 16])
        .await
        .unwrap();
    assert!(
        h.verify("violet kettle marches north", Some(&phc))
            .await
            .unwrap()
    );
    assert_eq!(h.pool.available(), 1);
}
