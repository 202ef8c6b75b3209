//! Users' status: deactivation ends access and sessions, reactivation restores it.

use gatehouse_domain::model::UserStatus;
use gatehouse_domain::principal::UsersManage;
use gatehouse_domain::services::Precondition;

use crate::harness::Env;
use crate::users::new_user;

crate::backend_tests!(deactivate_and_reactivate);

async fn deactivate_and_reactivate(env: Env) {
    let b = env.business("acme").await;
    let manage = env.access::<UsersManage>(b.id);
    let u = env
        .gh
        .create_user(&manage, &env.ctx, new_user("dana@example.com", ""))
        .await
        .unwrap();
    let seq = env.db.store.as_ref();
    let before = gatehouse_domain::store::Store::get_change_seq(seq, b.id)
        .await
        .unwrap();
    let d = env
        .gh
        .deactivate_user(&manage, &env.ctx, u.id, Precondition::default())
        .await
        .unwrap();
    assert_eq!(d.status, UserStatus::Deactivated);
    assert_eq!(
        gatehouse_domain::store::Store::get_change_seq(seq, b.id)
            .await
            .unwrap(),
        before + 1
    );
    assert_eq!(
        env.gh
            .deactivate_user(&manage, &env.ctx, u.id, Precondition::default())
            .await
            .unwrap_err()
            .code(),
        "user_status_unchanged"
    );
    // Never accepted the invitation: back to pending, not active.
    let r = env
        .gh
        .reactivate_user(&manage, &env.ctx, u.id, Precondition::default())
        .await
        .unwrap();
    assert_eq!(r.status, UserStatus::Pending);
}
