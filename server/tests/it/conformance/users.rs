//! Staff accounts, sign-in throttling and sessions.

use super::*;

async fn users_are_unique_by_email(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let id = store.create_user(&email("a@staff.example"), Role::Marketer, "hash", Timestamp(10)).await.unwrap();
    let again = store.create_user(&email("a@staff.example"), Role::Admin, "hash", Timestamp(11)).await;
    assert!(
        matches!(again, Err(StoreError::Conflict { ref constraint }) if constraint == "users_email_key"),
        "{again:?}"
    );
    let user = store.user_by_email(&email("a@staff.example")).await.unwrap().unwrap();
    assert_eq!((user.id, user.role, user.active), (id, Role::Marketer, true));
    store.update_user(id, Role::Viewer, false).await.unwrap();
    let user = store.user_by_id(id).await.unwrap().unwrap();
    assert_eq!((user.role, user.active), (Role::Viewer, false));
    assert_eq!(store.count_active_admins().await.unwrap(), 0);
    assert!(matches!(store.update_user(app::model::UserId(999), Role::Admin, true).await, Err(StoreError::NotFound)));
    store.record_login(id, Timestamp(99)).await.unwrap();
    assert_eq!(store.user_by_id(id).await.unwrap().unwrap().last_login_at, Some(Timestamp(99)));
}

async fn sessions_expire_and_are_deleted(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    assert!(store.session_insert("s1", "{}", Timestamp(100)).await.unwrap());
    assert!(
        !store.session_insert("s1", "{\"x\":1}", Timestamp(100)).await.unwrap(),
        "an existing id is not overwritten by insert"
    );
    assert_eq!(store.session_load("s1", Timestamp(50)).await.unwrap().as_deref(), Some("{}"));
    store.session_save("s1", "{\"a\":2}", Timestamp(200)).await.unwrap();
    assert_eq!(store.session_load("s1", Timestamp(150)).await.unwrap().as_deref(), Some("{\"a\":2}"));
    assert_eq!(store.session_load("s1", Timestamp(200)).await.unwrap(), None, "expired sessions never load");
    store.session_insert("s2", "{}", Timestamp(300)).await.unwrap();
    assert_eq!(store.sessions_delete_expired(Timestamp(250)).await.unwrap(), 1);
    store.session_delete("s2").await.unwrap();
    assert_eq!(store.session_load("s2", Timestamp(0)).await.unwrap(), None);
}

fn failures(count: i64, window_started: Timestamp) -> app::store::LoginFailures {
    app::store::LoginFailures { count, window_started }
}

async fn login_failures_count_within_a_window(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    assert_eq!(store.login_failures("account:x", Timestamp(1000), 60).await.unwrap().count, 0);
    assert_eq!(store.add_login_failure("account:x", Timestamp(1000), 60).await.unwrap(), failures(1, Timestamp(1000)));
    assert_eq!(store.add_login_failure("account:x", Timestamp(1010), 60).await.unwrap(), failures(2, Timestamp(1000)));
    assert_eq!(store.login_failures("account:x", Timestamp(1059), 60).await.unwrap(), failures(2, Timestamp(1000)));
    assert_eq!(store.login_failures("account:x", Timestamp(1060), 60).await.unwrap().count, 0, "window over");
    assert_eq!(
        store.add_login_failure("account:x", Timestamp(1070), 60).await.unwrap(),
        failures(1, Timestamp(1070)),
        "a new window starts"
    );
    store.clear_login_failures("account:x").await.unwrap();
    assert_eq!(store.login_failures("account:x", Timestamp(1071), 60).await.unwrap().count, 0);
}

async fn accounts_are_listed_and_passwords_replaced(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let b = store.create_user(&email("b@staff.example"), Role::Admin, "hash-b", Timestamp(10)).await.unwrap();
    let a = store.create_user(&email("a@staff.example"), Role::Viewer, "hash-a", Timestamp(11)).await.unwrap();
    let listed: Vec<(app::model::UserId, String)> =
        store.list_users().await.unwrap().into_iter().map(|u| (u.id, u.email)).collect();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&(a, "a@staff.example".into())) && listed.contains(&(b, "b@staff.example".into())));
    store.set_user_password(a, "hash-new", true, Timestamp(30)).await.unwrap();
    let after = store.user_by_id(a).await.unwrap().unwrap();
    assert_eq!(
        (after.password_hash.as_str(), after.must_change_password, after.password_changed_at),
        ("hash-new", true, Timestamp(30))
    );
    assert_eq!(store.user_by_id(b).await.unwrap().unwrap().password_hash, "hash-b", "nobody else's");
    assert_eq!(store.count_active_admins().await.unwrap(), 1);
}

async fn the_store_says_which_database_answers(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    store.ping().await.unwrap();
    let expected = match db {
        common::Db::Sqlite => app::store::Backend::Sqlite,
        common::Db::Postgres => app::store::Backend::Postgres,
    };
    assert_eq!(store.backend(), expected);
}

/// Two-factor: a pending secret turns on only while it is the one set up, with its
/// recovery codes; a time step and a recovery code are each taken once; turning it off
/// forgets everything; on and off both end the account's earlier sessions.
async fn a_second_factor_is_set_up_taken_once_and_forgotten(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let id = store.create_user(&email("t@staff.example"), Role::Admin, "hash", Timestamp(10)).await.unwrap();
    let other = store.create_user(&email("u@staff.example"), Role::Viewer, "hash", Timestamp(10)).await.unwrap();
    let epoch = store.user_by_id(id).await.unwrap().unwrap().session_epoch;
    store.set_totp_pending(id, Some("FIRSTSECRET")).await.unwrap();
    store.set_totp_pending(id, Some("SECONDSECRET")).await.unwrap();
    let codes = vec!["hash-a".to_string(), "hash-b".to_string()];
    assert!(!store.enable_totp(id, "FIRSTSECRET", 100, &codes).await.unwrap(), "set up again elsewhere: not this one");
    assert!(store.enable_totp(id, "SECONDSECRET", 100, &codes).await.unwrap());
    let user = store.user_by_id(id).await.unwrap().unwrap();
    assert_eq!(
        (user.totp_secret.as_deref(), user.totp_pending.as_deref(), user.totp_last_step, user.session_epoch),
        (Some("SECONDSECRET"), None, 100, epoch + 1)
    );
    assert_eq!(store.count_recovery_codes(id).await.unwrap(), 2);
    assert_eq!(store.count_recovery_codes(other).await.unwrap(), 0, "codes are per account");

    assert!(!store.take_totp_step(id, 100).await.unwrap(), "the step that confirmed it is used");
    assert!(!store.take_totp_step(id, 99).await.unwrap(), "and so is every earlier one");
    assert!(store.take_totp_step(id, 101).await.unwrap());
    assert!(!store.take_totp_step(id, 101).await.unwrap(), "once");
    assert!(!store.take_recovery_code(other, "hash-a").await.unwrap(), "another account's code is not theirs");
    assert!(store.take_recovery_code(id, "hash-a").await.unwrap());
    assert!(!store.take_recovery_code(id, "hash-a").await.unwrap(), "once");
    store.replace_recovery_codes(id, &["hash-c".to_string()]).await.unwrap();
    assert!(!store.take_recovery_code(id, "hash-b").await.unwrap(), "replaced codes stop working");
    assert_eq!(store.count_recovery_codes(id).await.unwrap(), 1);

    store.disable_totp(id).await.unwrap();
    let user = store.user_by_id(id).await.unwrap().unwrap();
    assert_eq!((user.totp_secret, user.totp_pending, user.session_epoch), (None, None, epoch + 2));
    assert_eq!(store.count_recovery_codes(id).await.unwrap(), 0);
    assert!(matches!(store.set_totp_pending(app::model::UserId(999), None).await, Err(StoreError::NotFound)));
}

both_backends! {
    a_second_factor_is_set_up_taken_once_and_forgotten,
    accounts_are_listed_and_passwords_replaced,
    the_store_says_which_database_answers,
    users_are_unique_by_email,
    sessions_expire_and_are_deleted,
    login_failures_count_within_a_window,
}
