//! Form errors a person can act on: every problem of a submitted form at once, each shown
//! beside its field (`aria-invalid`, `aria-describedby`) in words — "Short name must be 2 to
//! 63 characters." — and listed at the top with a link to the field.

use gatehouse_domain::Error;

/// One field's problem.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    /// The `id` of the form field (one of a list's rows may have its own).
    pub(crate) field: String,
    pub(crate) text: String,
}

/// The problems of one submitted form, in the order of its fields.
#[derive(Debug, Clone, Default)]
pub(crate) struct Problems(Vec<Problem>);

impl Problems {
    pub(crate) fn add(&mut self, field: impl Into<String>, text: impl Into<String>) {
        let field = field.into();
        if !self.invalid(&field) {
            self.0.push(Problem {
                field,
                text: text.into(),
            });
        }
    }

    /// The value of a parsed field, or `None` with its problem recorded under `label`.
    pub(crate) fn check<T>(
        &mut self,
        field: &'static str,
        label: &str,
        parsed: Result<T, Error>,
    ) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, sentence(label, &e));
                None
            }
        }
    }

    pub(crate) fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|p| p.field == field)
            .map(|p| p.text.as_str())
    }

    pub(crate) fn invalid(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter()
    }

    /// The status of the form's page: `error`'s (a problem not about one field), else 422
    /// while a field has a problem, else 200.
    pub(crate) fn status(&self, error: Option<axum::http::StatusCode>) -> axum::http::StatusCode {
        match error {
            Some(status) => status,
            None if !self.is_empty() => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            None => axum::http::StatusCode::OK,
        }
    }
}

/// How a form names the domain's fields: (domain field, form field id, label on the page).
pub(crate) type FieldMap<'a> = &'a [(&'a str, &'static str, &'a str)];

/// A domain error as the problem of one of the form's fields, when it is about one.
pub(crate) fn field_problem(e: &Error, fields: FieldMap<'_>) -> Option<(&'static str, String)> {
    let (domain_field, text) = match e {
        Error::Invalid { field, .. } => (*field, None),
        Error::EmailTaken => (
            "email",
            Some("A user with this email is already in the business."),
        ),
        Error::GroupNameTaken => ("name", Some("Another group already has this name.")),
        Error::TenantSlugTaken => ("slug", Some("Another tenant already has this short name.")),
        Error::BusinessSlugTaken => (
            "slug",
            Some("Another business already has this short name."),
        ),
        Error::EmptyTenantSet => (
            "tenants",
            Some("Pick at least one tenant for a Tenants group."),
        ),
        Error::CurrentPasswordIncorrect => ("current", Some("Current password is not correct.")),
        Error::UserNotFound => ("email", Some("No user of this business has this email.")),
        _ => return None,
    };
    let (_, id, label) = fields.iter().find(|(f, ..)| *f == domain_field)?;
    Some((id, text.map_or_else(|| sentence(label, e), str::to_owned)))
}

impl Problems {
    /// Records `e` as a field's problem when it is about one of `fields`; else hands it back.
    pub(crate) fn take(&mut self, e: Error, fields: FieldMap<'_>) -> Option<Error> {
        match field_problem(&e, fields) {
            Some((id, text)) => {
                self.add(id, text);
                None
            }
            None => Some(e),
        }
    }
}

/// A validation error as a sentence about the field called `label`.
pub(crate) fn sentence(label: &str, e: &Error) -> String {
    match e {
        Error::Invalid { reason, .. } => {
            let reason = reason
                .strip_prefix("must be 0 to ")
                .map_or_else(|| reason.clone(), |rest| format!("must be at most {rest}"));
            if reason.starts_with("must") || reason.starts_with("may") || reason.starts_with("is ")
            {
                format!("{label} {reason}.")
            } else {
                let mut c = reason.chars();
                let first: String = c
                    .next()
                    .map(|f| f.to_uppercase().collect())
                    .unwrap_or_default();
                format!("{label}: {first}{}.", c.as_str())
            }
        }
        other => {
            let text = other.to_string();
            let mut c = text.chars();
            let first: String = c
                .next()
                .map(|f| f.to_uppercase().collect())
                .unwrap_or_default();
            format!("{first}{}.", c.as_str().trim_end_matches('.'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_domain::types::{Email, Slug};

    #[test]
    fn problems_read_as_sentences_about_their_field() {
        let mut p = Problems::default();
        assert!(
            p.check("business_slug", "Short name", Slug::parse("A"))
                .is_none()
        );
        assert!(p.check("email", "Email", Email::parse("ada@x")).is_none());
        assert_eq!(p.check("x", "X", Ok::<_, Error>(1)), Some(1));
        assert_eq!(
            p.get("business_slug"),
            Some("Short name must be 2 to 63 characters.")
        );
        assert!(
            p.get("email").unwrap().starts_with("Email: The domain"),
            "{:?}",
            p.get("email")
        );
        assert_eq!(p.len(), 2);
    }
}
