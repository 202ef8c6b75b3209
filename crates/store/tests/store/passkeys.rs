//! Passkeys in storage: a credential id is registered once across the deployment, a user's
//! passkey is removed only by that user, a signature counter moves on once (of two uses of
//! one counter, one wins), and a WebAuthn challenge is used once.

use gatehouse_domain::Clock;
use gatehouse_domain::auth::TokenHash;
use gatehouse_domain::auth::passkey::Passkey;
use gatehouse_domain::auth::passkey_store::PasskeyReads;
use gatehouse_domain::ids::PasskeyId;
use gatehouse_domain::principal::UsersManage;
use gatehouse_domain::store::Store;
use time::Duration;

use crate::harness::Env;
use crate::users::new_user;

crate::backend_tests!(passkeys_and_challenges);

fn passkey(env: &Env, user: &gatehouse_domain::model::User, credential: &str) -> Passkey {
    let now = env.clock.now();
    Passkey {
        id: PasskeyId::new(now),
        business_id: user.business_id,
        user_id: user.id,
        credential_id: credential.to_owned(),
        name: "Laptop".to_owned(),
        public_key: vec![0xa5, 1, 2],
        algorithm: -7,
        sign_count: 3,
        backup_eligible: true,
        backed_up: false,
        attestation_format: "none".to_owned(),
        aaguid: "00".repeat(16),
        created_at: now,
        last_used_at: None,
    }
}

async fn passkeys_and_challenges(env: Env) {
    let b = env.business("acme").await;
    let manage = env.access::<UsersManage>(b.id);
    let dana = env
        .gh
        .create_user(&manage, &env.ctx, new_user("dana@example.com", ""))
        .await
        .unwrap();
    let lee = env
        .gh
        .create_user(&manage, &env.ctx, new_user("lee@example.com", ""))
        .await
        .unwrap();
    let store = env.db.store.clone();
    let mut tx = store.begin().await.unwrap();
    let key = passkey(&env, &dana, "Y3JlZC0x");
    assert!(tx.insert_passkey(&key).await.unwrap());
    let same = passkey(&env, &lee, "Y3JlZC0x");
    assert!(
        !tx.insert_passkey(&same).await.unwrap(),
        "a credential id is registered once"
    );
    assert_eq!(tx.count_passkeys(dana.id).await.unwrap(), 1);
    assert_eq!(tx.count_passkeys(lee.id).await.unwrap(), 0);
    assert!(
        tx.delete_passkey(b.id, lee.id, key.id)
            .await
            .unwrap()
            .is_none(),
        "only its user removes it"
    );

    let at = env.clock.now();
    assert!(tx.record_passkey_use(key.id, 3, 4, true, at).await.unwrap());
    assert!(
        !tx.record_passkey_use(key.id, 3, 5, true, at).await.unwrap(),
        "a use against a counter already moved on loses"
    );

    let challenge = TokenHash::of(b"challenge");
    let ends = at + Duration::minutes(5);
    assert!(
        tx.use_webauthn_challenge(&challenge, ends, at)
            .await
            .unwrap()
    );
    assert!(
        !tx.use_webauthn_challenge(&challenge, ends, at)
            .await
            .unwrap(),
        "once"
    );
    // Forgotten once expired (its seal has expired too, so it opens no more anyway).
    let later = ends + Duration::seconds(1);
    assert!(
        tx.use_webauthn_challenge(&challenge, later + Duration::minutes(5), later)
            .await
            .unwrap()
    );

    let gone = tx
        .delete_passkey(b.id, dana.id, key.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((gone.sign_count, gone.backed_up), (4, true));
    assert_eq!(gone.public_key, vec![0xa5, 1, 2]);
    assert_eq!(tx.delete_user_passkeys(b.id, dana.id).await.unwrap(), 0);
    drop(tx);
    assert!(
        store
            .get_passkey_by_credential("Y3JlZC0x")
            .await
            .unwrap()
            .is_none(),
        "rolled back"
    );
    assert!(store.list_passkeys(b.id, dana.id).await.unwrap().is_empty());
}
