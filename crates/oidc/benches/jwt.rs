//! Signing and verifying tokens with each algorithm.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_debug_implementations
)]

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse_oidc::{RsaKeySize, SigningAlg, SigningKey, sign, verify};
use serde_json::{Value, json};

fn jwt(c: &mut Criterion) {
    let claims = json!({
        "iss": "https://id.example.com/b/acme", "sub": "01JD5Z8Y3K9V2N7Q4W6E1R0T8M",
        "aud": "app-1", "exp": 2_000_000_000, "iat": 1_999_999_000, "auth_time": 1_999_999_000,
        "nonce": "n-0S6_WzA2Mj", "sid": "s-1", "amr": ["pwd", "otp"], "email": "ada@example.com"
    });
    for alg in SigningAlg::ALL {
        let key = SigningKey::generate(alg, RsaKeySize::default()).unwrap();
        let keys = vec![key.verifying_key().unwrap()];
        let token = sign(&key, "JWT", &claims).unwrap();
        c.bench_function(&format!("sign {alg}"), |b| {
            b.iter(|| sign(&key, "JWT", &claims).unwrap())
        });
        c.bench_function(&format!("verify {alg}"), |b| {
            b.iter(|| verify::<Value>(&keys, &token, &["JWT"]).unwrap())
        });
    }
    c.bench_function("generate ES256", |b| {
        b.iter(|| SigningKey::generate(SigningAlg::Es256, RsaKeySize::default()).unwrap())
    });
    let mut slow = c.benchmark_group("generate RSA");
    slow.sample_size(10);
    slow.bench_function("RS256 2048", |b| {
        b.iter(|| SigningKey::generate(SigningAlg::Rs256, RsaKeySize::Bits2048).unwrap())
    });
    slow.finish();
}

criterion_group!(benches, jwt);
criterion_main!(benches);
