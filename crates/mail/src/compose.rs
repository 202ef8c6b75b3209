//! What each message says, rendered from the templates in `templates/` into a subject, a
//! plain-text body and an HTML body.

use askama::Template;
use gatehouse_domain::mail::{Mail, MailMessage, ReviewNotice, SignInLink};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// A mail ready to send.
#[derive(Debug, Clone)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The words of one message, shared by both templates.
struct View {
    business: String,
    subject: String,
    lines: Vec<String>,
    /// Each link and its label (most messages have one or none).
    links: Vec<(String, String)>,
    closing: &'static str,
}

#[derive(Template)]
#[template(path = "mail.txt", escape = "none")]
struct Text<'a> {
    v: &'a View,
}

#[derive(Template)]
#[template(path = "mail.html")]
struct Html<'a> {
    v: &'a View,
}

fn when(t: OffsetDateTime) -> String {
    t.format(&Rfc2822).unwrap_or_else(|_| t.to_string())
}

const NOT_YOU: &str = "If this was not you, tell your administrator at once.";

/// The links of a sign-in-links mail: each business's sign-in page, labelled with its name.
fn sign_in_links(
    links: &[SignInLink],
) -> (String, Vec<String>, Vec<(String, String)>, &'static str) {
    let at = match links {
        [one] => format!("It has an account at {}:", one.business),
        _ => format!("It has accounts at {} businesses:", links.len()),
    };
    (
        "Where you can sign in on Gatehouse".to_owned(),
        vec![
            "Someone (hopefully you) asked where this email address can sign in.".to_owned(),
            at,
        ],
        links
            .iter()
            .map(|l| (l.link.clone(), format!("Sign in to {}", l.business)))
            .collect(),
        "If you did not ask, ignore this mail: nothing has changed, and whoever asked was not told where you have accounts.",
    )
}

fn view(mail: &Mail) -> View {
    let b = mail.business.clone();
    let (subject, lines, links, closing): (String, Vec<String>, Vec<(String, String)>, &'static str) =
        match &mail.message {
            MailMessage::Invitation { link, expires_at } => (
                format!("You are invited to {b} on Gatehouse"),
                vec![
                    format!("You have been invited to join {b}."),
                    format!("Open the link below to choose your password. It works once, until {}.", when(*expires_at)),
                ],
                vec![(link.clone(), "Accept the invitation".to_owned())],
                "If you did not expect this invitation, ignore this mail.",
            ),
            MailMessage::PasswordReset { link, expires_at, by_admin } => (
                format!("Reset your {b} password"),
                vec![
                    if *by_admin {
                        "An administrator reset your password: the old one no longer works, and your sessions have ended.".to_owned()
                    } else {
                        "Someone (hopefully you) asked to reset your password.".to_owned()
                    },
                    format!("Open the link below to choose a new one. It works once, until {}.", when(*expires_at)),
                ],
                vec![(link.clone(), "Choose a new password".to_owned())],
                if *by_admin {
                    "You cannot sign in until you choose a new password. If you did not expect this, ask your administrator why."
                } else {
                    "If you did not ask for this, ignore this mail: your password stays as it is."
                },
            ),
            MailMessage::PasswordChanged => (
                format!("Your {b} password was changed"),
                vec!["Your password was just changed.".to_owned()],
                Vec::new(),
                NOT_YOU,
            ),
            MailMessage::MfaEnrolled => (
                format!("Two-step verification is on for {b}"),
                vec!["An authenticator app was just set up for your account.".to_owned()],
                Vec::new(),
                NOT_YOU,
            ),
            MailMessage::MfaReset => (
                format!("Two-step verification was reset for {b}"),
                vec![
                    "An administrator removed your authenticator app, passkeys and recovery codes; your sessions have ended.".to_owned(),
                    "You will be asked to set up a new one when you next sign in.".to_owned(),
                ],
                Vec::new(),
                NOT_YOU,
            ),
            MailMessage::PasskeyAdded { name } => (
                format!("A passkey was added to your {b} account"),
                vec![format!(
                    "The passkey \u{201c}{name}\u{201d} can now sign in to your account."
                )],
                Vec::new(),
                NOT_YOU,
            ),
            MailMessage::PasskeyRemoved { name } => (
                format!("A passkey was removed from your {b} account"),
                vec![format!(
                    "The passkey \u{201c}{name}\u{201d} can no longer sign in to your account."
                )],
                Vec::new(),
                NOT_YOU,
            ),
            MailMessage::RecoveryCodesRegenerated => (
                format!("New recovery codes were made for {b}"),
                vec![
                    "New recovery codes were just made for your account; the old ones no longer work.".to_owned(),
                ],
                Vec::new(),
                NOT_YOU,
            ),
            MailMessage::RecoveryCodeUsed { remaining } => (
                format!("A recovery code was used to sign in to {b}"),
                vec![
                    "Someone signed in to your account with one of your recovery codes.".to_owned(),
                    format!("You have {remaining} unused codes left; you can make new ones on your account page."),
                ],
                Vec::new(),
                NOT_YOU,
            ),
            MailMessage::SignInLinks { links } => sign_in_links(links),
            MailMessage::AccessHealthDigest { score, findings, total, link } => {
                let mut lines = vec![format!("The access health score of {b} is {score} out of 100, with {total} finding(s).")];
                lines.extend(findings.iter().map(|f| format!("- {f}")));
                if (*total as usize) > findings.len() {
                    lines.push(format!("… and {} more.", *total as usize - findings.len()));
                }
                (
                    format!("Access health of {b}: {score}/100"),
                    lines,
                    vec![(link.clone(), "Open the Access health report".to_owned())],
                    "You receive this weekly digest as an administrator; you can turn it off on the Access health page.",
                )
            }
            MailMessage::AccessReview { notice, review, pending, due_at, link } => {
                let due = when(*due_at);
                let (subject, line, closing) = match notice {
                    ReviewNotice::Assigned => (
                        format!("Access review \"{review}\" of {b}: {pending} membership(s) to review"),
                        format!("You are a reviewer of {pending} membership(s): keep or remove each, by {due}."),
                        "You receive this because you were named a reviewer or own a group in scope.",
                    ),
                    ReviewNotice::Reminder => (
                        format!("Reminder: access review \"{review}\" of {b} is due soon"),
                        format!("{pending} membership(s) still wait for your decision; the review is due {due}."),
                        "You receive this because you are a reviewer with undecided items.",
                    ),
                    ReviewNotice::Overdue => (
                        format!("Overdue: access review \"{review}\" of {b}"),
                        format!("The review was due {due} and {pending} membership(s) are undecided. Remind the reviewers, or close the review: undecided items are reported as \u{201c}no decision\u{201d}."),
                        "You receive this because you manage the access reviews of this business.",
                    ),
                };
                (subject, vec![line], vec![(link.clone(), "Open the review".to_owned())], closing)
            }
            MailMessage::WebhookDisabled { url, reason } => (
                format!("A webhook endpoint of {b} was disabled"),
                vec![
                    format!("Gatehouse stopped delivering to {url}: {reason}."),
                    "Its events wait and are delivered, in order, once you enable the endpoint again in the dashboard's Webhooks page.".to_owned(),
                ],
                Vec::new(),
                "You receive this because you manage the webhooks of this business.",
            ),
        };
    View {
        business: b,
        subject,
        lines,
        links,
        closing,
    }
}

/// Renders a mail.
pub fn compose(mail: &Mail) -> Result<Composed, askama::Error> {
    let v = view(mail);
    Ok(Composed {
        text: Text { v: &v }.render()?,
        html: Html { v: &v }.render()?,
        subject: v.subject,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_domain::types::Email;

    #[test]
    fn invitation_has_link_in_both_bodies_and_escapes_html() {
        let mail = Mail {
            to: Email::parse("dana@example.com").unwrap(),
            business: "Acme <Corp>".to_owned(),
            message: MailMessage::Invitation {
                link: "https://gh.example/b/acme/invitation/abc".to_owned(),
                expires_at: OffsetDateTime::UNIX_EPOCH,
            },
        };
        let c = compose(&mail).unwrap();
        assert!(c.subject.contains("Acme <Corp>"));
        assert!(c.text.contains("https://gh.example/b/acme/invitation/abc"));
        assert!(
            c.html
                .contains("href=\"https://gh.example/b/acme/invitation/abc\"")
        );
        assert!(c.html.contains("Acme &#60;Corp&#62;") || c.html.contains("Acme &lt;Corp&gt;"));
    }

    #[test]
    fn an_administrators_reset_does_not_say_the_password_stays() {
        let reset = |by_admin| Mail {
            to: Email::parse("dana@example.com").unwrap(),
            business: "Acme".to_owned(),
            message: MailMessage::PasswordReset {
                link: "https://gh.example/b/acme/reset-password/abc".to_owned(),
                expires_at: OffsetDateTime::UNIX_EPOCH,
                by_admin,
            },
        };
        let by_admin = compose(&reset(true)).unwrap();
        assert!(
            !by_admin.text.contains("stays as it is"),
            "{}",
            by_admin.text
        );
        assert!(by_admin.text.contains("the old one no longer works"));
        let asked = compose(&reset(false)).unwrap();
        assert!(asked.text.contains("your password stays as it is"));
    }

    #[test]
    fn sign_in_links_list_every_business_and_name_none_in_the_footer() {
        let link = |b: &str| SignInLink {
            business: format!("{b} <Corp>"),
            link: format!("https://gh.example/b/{b}/sign-in"),
        };
        let mail = Mail {
            to: Email::parse("dana@example.com").unwrap(),
            business: String::new(),
            message: MailMessage::SignInLinks {
                links: vec![link("acme"), link("globex")],
            },
        };
        let c = compose(&mail).unwrap();
        assert_eq!(c.subject, "Where you can sign in on Gatehouse");
        for b in ["acme", "globex"] {
            let href = format!("https://gh.example/b/{b}/sign-in");
            assert!(
                c.text.contains(&format!("Sign in to {b} <Corp>:\n{href}")),
                "{}",
                c.text
            );
            assert!(c.html.contains(&format!("href=\"{href}\"")), "{}", c.html);
        }
        assert!(c.text.contains("accounts at 2 businesses"));
        assert!(c.text.trim_end().ends_with("Gatehouse"), "{}", c.text);
        assert!(!c.html.contains("<Corp>"), "escaped");
    }
}
