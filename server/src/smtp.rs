//! The SMTP transport: `CARNET_SMTP_URL` (`smtp://host:port` in plain text,
//! `smtp://…?tls=required` for STARTTLS, `smtps://host:465` for TLS from the start,
//! `user:password@` for authentication) and `CARNET_MAIL_FROM`.

use app::mail::service::MailTransport;
use app::mail::{OutboxMail, SendError};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    pub fn new(url: &str, from: &str) -> Result<Smtp, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("CARNET_SMTP_URL is not a usable SMTP URL: {e}"))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = from.parse().map_err(|e| format!("CARNET_MAIL_FROM is not an address: {e}"))?;
        Ok(Smtp { transport, from })
    }
}

/// The message as sent: plain text and HTML alternatives, and for mail to a contact the
/// one-click unsubscribe headers of RFC 8058.
pub fn build_message(from: &Mailbox, mail: &OutboxMail) -> Result<Message, SendError> {
    let to: Mailbox = mail.to.parse().map_err(|e| SendError::Permanent(format!("bad recipient address: {e}")))?;
    // One Message-ID per outbox mail, the same on every attempt: a mail sent again after
    // a crash (the server's OK arrived, the outbox's record of it did not) is the same
    // message to the mail systems that drop repeats.
    let domain = from.email.domain().to_string();
    use sha2::Digest;
    let fingerprint = hex::encode(&sha2::Sha256::digest(format!("{}\n{}\n{}", mail.to, mail.subject, mail.text))[..8]);
    let message_id = format!("<carnet.{}.{fingerprint}@{domain}>", mail.id);
    let mut builder =
        Message::builder().from(from.clone()).to(to).subject(mail.subject.clone()).message_id(Some(message_id));
    if let Some(url) = &mail.unsubscribe_url {
        builder = builder
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{url}>")))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_string(),
            ));
    }
    builder
        .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
        .map_err(|e| SendError::Permanent(format!("could not build the message: {e}")))
}

#[async_trait::async_trait]
impl MailTransport for Smtp {
    async fn send(&self, mail: &OutboxMail) -> Result<(), SendError> {
        let message = build_message(&self.from, mail)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Temporary(e.to_string())),
        }
    }
}
