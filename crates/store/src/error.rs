//! Database errors become domain errors here, in one place: constraint violations become the
//! conflicts they mean; anything else is a storage failure.

use gatehouse_domain::Error;

/// Maps a sqlx error, turning unique violations into the domain's "already taken" errors.
pub(crate) fn db(err: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &err
        && db.is_unique_violation()
    {
        {
            // PostgreSQL names the constraint; SQLite names table and columns in the message.
            let what = db
                .constraint()
                .map_or_else(|| db.message().to_owned(), str::to_owned);
            let taken = [
                ("tenants", Error::TenantSlugTaken),
                ("users", Error::EmailTaken),
                ("access_groups", Error::GroupNameTaken),
                ("businesses", Error::BusinessSlugTaken),
            ];
            for (table, error) in taken {
                if what.contains(table) {
                    return error;
                }
            }
        }
    }
    Error::Storage(err.to_string())
}
