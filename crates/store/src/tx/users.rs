//! Writes to users and their group memberships, in a [`SqlTx`].

use gatehouse_domain::store::UserWrites;

// The transaction's own imports: the types every write here names.
#[allow(clippy::wildcard_imports)]
use super::*;

#[async_trait]
impl UserWrites for SqlTx {
    async fn get_user(&mut self, business: BusinessId, id: UserId) -> Result<Option<User>> {
        queries::get_user(&mut self.tx, business, id).await
    }

    async fn get_users_by_email(
        &mut self,
        business: BusinessId,
        emails: &[gatehouse_domain::types::Email],
    ) -> Result<Vec<User>> {
        queries::get_users_by_email(&mut self.tx, business, emails).await
    }

    async fn insert_user(&mut self, u: &User) -> Result<()> {
        self.insert_users(std::slice::from_ref(u)).await
    }

    async fn insert_users(&mut self, users: &[User]) -> Result<()> {
        let rows = users
            .iter()
            .map(|u| {
                vec![
                    Bind::Text(u.id.to_string()),
                    Bind::Text(u.business_id.to_string()),
                    Bind::Text(u.email.as_str().to_owned()),
                    Bind::Text(u.display_name.as_str().to_owned()),
                    Bind::Text(u.display_name.as_str().to_lowercase()),
                    Bind::Text(u.status.as_str().to_owned()),
                    Bind::Int(i64::from(u.mfa_enrolled)),
                    Bind::OptInt(u.activated_at.map(to_micros)),
                    Bind::Int(u.version),
                    Bind::Int(to_micros(u.created_at)),
                    Bind::Int(to_micros(u.updated_at)),
                ]
            })
            .collect();
        queries::insert_rows(
            &mut self.tx,
            "users (id, business_id, email, display_name, name_key, status, mfa_enrolled, \
             activated_at, version, created_at, updated_at)",
            "",
            rows,
        )
        .await?;
        for u in users {
            self.record(u.business_id, "user", u.id.to_string());
        }
        Ok(())
    }

    async fn update_user(&mut self, u: &User, expected_version: i64) -> Result<()> {
        let q = sqlx::query(
            "UPDATE users SET display_name = $1, name_key = $2, status = $3, mfa_enrolled = $4, activated_at = $5, \
             version = $6, updated_at = $7 WHERE business_id = $8 AND id = $9 AND version = $10",
        )
        .bind(u.display_name.as_str())
        .bind(u.display_name.as_str().to_lowercase())
        .bind(u.status.as_str())
        .bind(i64::from(u.mfa_enrolled))
        .bind(u.activated_at.map(to_micros))
        .bind(u.version)
        .bind(to_micros(u.updated_at))
        .bind(u.business_id.to_string())
        .bind(u.id.to_string())
        .bind(expected_version);
        let affected = q.execute(&mut *self.tx).await.map_err(db)?.rows_affected();
        if affected == 0 {
            return Err(
                match self.current_version("users", u.id.to_string()).await? {
                    Some(current) => Error::VersionConflict { current },
                    None => Error::UserNotFound,
                },
            );
        }
        self.record(u.business_id, "user", u.id.to_string());
        Ok(())
    }

    async fn set_user_groups(
        &mut self,
        business: BusinessId,
        user: UserId,
        groups: &[GroupId],
        at: OffsetDateTime,
    ) -> Result<()> {
        // Memberships kept keep their start and end (temporary access stays temporary).
        let placeholders: Vec<String> = (0..groups.len()).map(|i| format!("${}", i + 3)).collect();
        let keep = if groups.is_empty() {
            String::new()
        } else {
            format!(" AND group_id NOT IN ({})", placeholders.join(", "))
        };
        let sql =
            format!("DELETE FROM group_members WHERE business_id = $1 AND user_id = $2{keep}");
        let mut delete = sqlx::query(&sql)
            .bind(business.to_string())
            .bind(user.to_string());
        for group in groups {
            delete = delete.bind(group.to_string());
        }
        delete.execute(&mut *self.tx).await.map_err(db)?;
        for group in groups {
            sqlx::query("INSERT INTO group_members (group_id, user_id, business_id, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (group_id, user_id) DO NOTHING")
                .bind(group.to_string())
                .bind(user.to_string())
                .bind(business.to_string())
                .bind(to_micros(at))
                .execute(&mut *self.tx)
                .await
                .map_err(db)?;
        }
        self.record(business, "user", user.to_string());
        Ok(())
    }
}
