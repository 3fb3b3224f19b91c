//! Outgoing e-mail: SMTP when `MOIM_SMTP_URL` is set, otherwise `.eml` files in the outbox
//! (`<data_dir>/outbox`), with the code or link also logged so a self-hoster can sign up without
//! a mail server. Messages are multipart (plain text + HTML) and localized.

use crate::WebConfig;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

pub enum Mailer {
    Outbox(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// A message ready to send.
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// What to print to the log in outbox mode (the code or link), so nobody has to open files.
    pub log_hint: String,
}

impl Mailer {
    pub fn new(cfg: &WebConfig) -> anyhow::Result<Self> {
        match &cfg.smtp_url {
            Some(url) => Ok(Self::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build(),
            )),
            None => Ok(Self::Outbox(cfg.outbox_dir())),
        }
    }

    pub async fn send(&self, from: &str, mail: Mail) -> anyhow::Result<()> {
        let msg = Message::builder()
            .from(from.parse::<Mailbox>()?)
            .to(mail.to.parse::<Mailbox>()?)
            .subject(&mail.subject)
            .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))?;
        match self {
            Mailer::Outbox(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                let name = format!("{}.eml", uuid::Uuid::now_v7());
                let path = dir.join(&name);
                tokio::fs::write(&path, msg.formatted()).await?;
                tracing::info!(to = %mail.to, file = %path.display(), "mail written to outbox: {}", mail.log_hint);
            }
            Mailer::Smtp(transport) => {
                transport.send(msg).await?;
                tracing::info!(to = %mail.to, subject = %mail.subject, "mail sent");
            }
        }
        Ok(())
    }
}

/// Wraps a message body in the shared HTML frame of moim e-mails.
pub fn html_frame(title: &str, body_html: &str) -> String {
    format!(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;background:#f6f5f2;padding:24px\">\
         <div style=\"max-width:480px;margin:auto;background:#fff;border-radius:12px;padding:24px\">\
         <h1 style=\"font-size:20px;color:#2d6a4f\">moim · {}</h1>{}</div></body></html>",
        html_escape(title),
        body_html
    )
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
