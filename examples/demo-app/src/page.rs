//! The application's one page, plain HTML: signed out, a sign-in link; signed in, who the
//! user is, their groups, the two gated features and a sign-out button.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::decisions::check;
use crate::sign_in::visit_id;
use crate::{AppState, User, Visit};

/// The features the page gates: title, permission, environment.
const FEATURES: [(&str, &str, &str); 2] = [
    ("Live reports", "analytics", "live"),
    ("Sandbox tools", "developer_area", "sandbox"),
];

/// Text made safe for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · Demo app</title>\n</head>\n<body>\n<main>\n{body}\n</main>\n\
         </body>\n</html>\n",
        title = esc(title)
    )
}

pub(crate) fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<h1>Something went wrong</h1>\n<p id=\"problem\">{}</p>\n<p><a href=\"/\">Back to the start</a></p>",
        esc(message)
    );
    (status, Html(layout("Something went wrong", &body))).into_response()
}

/// `GET /`.
pub(crate) async fn home(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let user = visit_id(&headers).and_then(|id| match s.visits().get(&id) {
        Some(Visit::SignedIn(user)) => Some(User::clone(user)),
        _ => None,
    });
    let Some(user) = user else {
        let body = "<h1>Demo app</h1>\n<p>This application signs you in with Gatehouse.</p>\n\
                    <p><a href=\"/sign-in\">Sign in with Gatehouse</a></p>";
        return Html(layout("Welcome", body)).into_response();
    };
    let groups = if user.groups.is_empty() {
        "<p id=\"groups\">You are in no group.</p>".to_owned()
    } else {
        let items: String = user
            .groups
            .iter()
            .map(|g| format!("<li>{}</li>", esc(g)))
            .collect();
        format!("<ul id=\"groups\">{items}</ul>")
    };
    let mut features = String::new();
    for (i, (title, permission, environment)) in FEATURES.iter().enumerate() {
        let verdict = match check(&s, &user.id, permission, environment).await {
            Ok(d) if d.allowed => "Allowed".to_owned(),
            Ok(d) => format!("Denied ({})", esc(&d.reason)),
            Err(e) => format!("Unknown: {}", esc(&e)),
        };
        features.push_str(&format!(
            "<li id=\"feature-{i}\"><strong>{title}</strong> \
             (<code>{permission}</code> in {environment}): \
             <span class=\"verdict\">{verdict}</span></li>\n"
        ));
    }
    let body = format!(
        "<h1>Demo app</h1>\n<p>Signed in as <span id=\"name\">{name}</span> \
         (<span id=\"email\">{email}</span>).</p>\n\
         <h2>Your groups</h2>\n{groups}\n\
         <h2>Features</h2>\n<ul id=\"features\">\n{features}</ul>\n\
         <form method=\"post\" action=\"/sign-out\"><button type=\"submit\">Sign out</button></form>",
        name = esc(&user.name),
        email = esc(&user.email),
    );
    Html(layout("Home", &body)).into_response()
}
