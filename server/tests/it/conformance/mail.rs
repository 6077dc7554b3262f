//! The outbox: queued, leased by one sender at a time, sent, retried or given up.

use super::*;
use app::mail::NewMail;
use app::store::MailCounts;

fn message(to: &str, contact_id: Option<app::model::ContactId>) -> NewMail {
    NewMail {
        contact_id,
        kind: "test".into(),
        to: to.into(),
        subject: format!("Hello {to}"),
        text: "Plain".into(),
        html: "<p>Rich</p>".into(),
        unsubscribe_url: contact_id.map(|id| format!("https://carnet.example/u/{id}")),
    }
}

async fn a_mail_is_leased_once_then_sent_retried_or_given_up(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    let ada = store.insert_contact(&fields("ada@example.com", "Ada", "L"), Timestamp(1), "s").await.unwrap();
    let first = store.queue_mail(&message("ada@example.com", Some(ada)), Timestamp(100)).await.unwrap();
    let second = store.queue_mail(&message("ops@example.com", None), Timestamp(101)).await.unwrap();
    let third = store.queue_mail(&message("late@example.com", None), Timestamp(500)).await.unwrap();
    let stored = store.mail(first).await.unwrap().unwrap();
    assert_eq!(
        (stored.to.as_str(), stored.subject.as_str(), stored.html.as_str()),
        ("ada@example.com", "Hello ada@example.com", "<p>Rich</p>")
    );
    assert_eq!((stored.state.as_str(), stored.attempts, stored.contact_id), ("queued", 0, Some(ada)));
    assert_eq!(stored.unsubscribe_url, Some(format!("https://carnet.example/u/{ada}")));
    assert_eq!(store.mail(app::model::MailId(9_999)).await.unwrap(), None);

    // Two senders at once: each message goes to one of them; the one not yet due to none.
    let (x, y) = tokio::join!(
        store.claim_mails(Timestamp(200), Timestamp(260), 10),
        store.claim_mails(Timestamp(200), Timestamp(260), 10)
    );
    let mut claimed: Vec<app::model::MailId> = x.unwrap().into_iter().chain(y.unwrap()).map(|m| m.id).collect();
    claimed.sort();
    assert_eq!(claimed, [first, second]);
    assert!(store.claim_mails(Timestamp(220), Timestamp(280), 10).await.unwrap().is_empty(), "leased until 260");

    store.mail_sent(first, Timestamp(210)).await.unwrap();
    store.mail_failed(second, "451 try later", Some(Timestamp(400))).await.unwrap();
    let retried = store.mail(second).await.unwrap().unwrap();
    assert_eq!((retried.state.as_str(), retried.attempts, retried.next_attempt_at), ("queued", 1, Timestamp(400)));
    assert_eq!(retried.last_error, "451 try later");
    assert!(
        store.claim_mails(Timestamp(300), Timestamp(360), 10).await.unwrap().is_empty(),
        "not due before its retry"
    );
    let due: Vec<app::model::MailId> =
        store.claim_mails(Timestamp(600), Timestamp(660), 10).await.unwrap().iter().map(|m| m.id).collect();
    assert_eq!(due, [second, third], "oldest due first");
    store.mail_failed(second, "550 no such user", None).await.unwrap();
    store.mail_failed(third, "timeout", Some(Timestamp(700))).await.unwrap();
    assert_eq!(store.mail(second).await.unwrap().unwrap().state, "failed", "given up");
    assert_eq!(store.mail_counts().await.unwrap(), MailCounts { queued: 1, sent: 1, failed: 1 });

    assert!(store.retry_mail(second, Timestamp(800)).await.unwrap(), "staff retry a given-up message");
    assert!(!store.retry_mail(first, Timestamp(800)).await.unwrap(), "a sent message is never sent again");
    assert!(!store.retry_mail(app::model::MailId(9_999), Timestamp(800)).await.unwrap());
    let sent = store.mail(first).await.unwrap().unwrap();
    assert_eq!((sent.state.as_str(), sent.sent_at, sent.attempts), ("sent", Some(Timestamp(210)), 1));
    assert_eq!((sent.text.as_str(), sent.html.as_str()), ("", ""), "a sent mail keeps no working link");
    assert_eq!(sent.subject, "Hello ada@example.com", "what it was stays");
    let again: Vec<app::model::MailId> =
        store.claim_mails(Timestamp(800), Timestamp(860), 1).await.unwrap().iter().map(|m| m.id).collect();
    assert_eq!(again, [third], "at most the limit, oldest due first");
}

async fn recent_mails_page_newest_first(db: common::Db) {
    let fresh = common::fresh_db(db).await;
    let store = common::store(&fresh).await;
    assert_eq!(store.mail_counts().await.unwrap(), MailCounts::default());
    assert!(store.recent_mails(None, 10).await.unwrap().is_empty());
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(store.queue_mail(&message(&format!("p{i}@example.com"), None), Timestamp(100) + i).await.unwrap());
    }
    let page: Vec<app::model::MailId> = store.recent_mails(None, 2).await.unwrap().iter().map(|m| m.id).collect();
    assert_eq!(page, [ids[4], ids[3]]);
    let next: Vec<app::model::MailId> =
        store.recent_mails(Some(ids[3]), 2).await.unwrap().iter().map(|m| m.id).collect();
    assert_eq!(next, [ids[2], ids[1]]);
    let last: Vec<app::model::MailId> =
        store.recent_mails(Some(ids[1]), 2).await.unwrap().iter().map(|m| m.id).collect();
    assert_eq!(last, [ids[0]]);
}

both_backends! {
    a_mail_is_leased_once_then_sent_retried_or_given_up,
    recent_mails_page_newest_first,
}
