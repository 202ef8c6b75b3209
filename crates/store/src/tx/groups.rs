//! Writes to groups, their grants and members, in a [`SqlTx`].

use gatehouse_domain::store::{GroupWrites, MemberUntil};

// The transaction's own imports: the types every write here names.
#[allow(clippy::wildcard_imports)]
use super::*;

#[async_trait]
impl GroupWrites for SqlTx {
    async fn get_group(&mut self, business: BusinessId, id: GroupId) -> Result<Option<Group>> {
        queries::get_group(&mut self.tx, business, id).await
    }

    async fn insert_group(&mut self, g: &Group) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO access_groups (id, business_id, name, name_key, description, kind, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(g.id.to_string())
        .bind(g.business_id.to_string())
        .bind(g.name.as_str())
        .bind(g.name.key())
        .bind(g.description.as_str())
        .bind(g.scope.kind().as_str())
        .bind(g.version)
        .bind(to_micros(g.created_at))
        .bind(to_micros(g.updated_at));
        self.change(
            g.business_id,
            ("group", g.id.to_string()),
            q,
            Error::GroupNotFound,
        )
        .await?;
        queries::write_group_details(&mut self.tx, g).await
    }

    async fn update_group(&mut self, g: &Group, expected_version: i64) -> Result<()> {
        let q = sqlx::query(
            "UPDATE access_groups SET name = $1, name_key = $2, description = $3, kind = $4, version = $5, updated_at = $6 \
             WHERE business_id = $7 AND id = $8 AND version = $9",
        )
        .bind(g.name.as_str())
        .bind(g.name.key())
        .bind(g.description.as_str())
        .bind(g.scope.kind().as_str())
        .bind(g.version)
        .bind(to_micros(g.updated_at))
        .bind(g.business_id.to_string())
        .bind(g.id.to_string())
        .bind(expected_version);
        let affected = q.execute(&mut *self.tx).await.map_err(db)?.rows_affected();
        if affected == 0 {
            return Err(
                match self
                    .current_version("access_groups", g.id.to_string())
                    .await?
                {
                    Some(current) => Error::VersionConflict { current },
                    None => Error::GroupNotFound,
                },
            );
        }
        self.record(g.business_id, "group", g.id.to_string());
        queries::write_group_details(&mut self.tx, g).await
    }

    async fn delete_group(&mut self, business: BusinessId, id: GroupId) -> Result<()> {
        // Its members lose its rights: the feed reloads them.
        let members = sqlx::query(
            "SELECT user_id FROM group_members WHERE business_id = $1 AND group_id = $2",
        )
        .bind(business.to_string())
        .bind(id.to_string())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        for row in &members {
            self.record(business, "user", rows::text(row, "user_id")?);
        }
        // Memberships, tenant sets and grants go with it (ON DELETE CASCADE), but say so
        // explicitly: SQLite only cascades with foreign keys on.
        for table in ["group_members", "group_tenants", "group_permissions"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE group_id = $1"))
                .bind(id.to_string())
                .execute(&mut *self.tx)
                .await
                .map_err(db)?;
        }
        let q = sqlx::query("DELETE FROM access_groups WHERE business_id = $1 AND id = $2")
            .bind(business.to_string())
            .bind(id.to_string());
        self.change(business, ("group", id.to_string()), q, Error::GroupNotFound)
            .await
            .map(drop)
    }

    async fn add_group_members(
        &mut self,
        business: BusinessId,
        group: GroupId,
        users: &[UserId],
        at: OffsetDateTime,
        until: MemberUntil,
    ) -> Result<u64> {
        // One row per user (an upsert may touch a row once per statement). Extending a
        // temporary membership, or making it permanent, counts as a change; a permanent one
        // stays so.
        let mut seen = std::collections::HashSet::new();
        let rows = users
            .iter()
            .filter(|user| seen.insert(**user))
            .map(|user| {
                vec![
                    Bind::Text(group.to_string()),
                    Bind::Text(user.to_string()),
                    Bind::Text(business.to_string()),
                    Bind::Int(to_micros(at)),
                    Bind::OptInt(until.end().map(to_micros)),
                ]
            })
            .collect();
        let on_conflict = match until {
            MemberUntil::At(_) | MemberUntil::Always => {
                " ON CONFLICT (group_id, user_id) DO UPDATE SET expires_at = excluded.expires_at \
                 WHERE group_members.expires_at IS NOT NULL"
            }
            MemberUntil::KeepEnd => " ON CONFLICT (group_id, user_id) DO NOTHING",
        };
        let added = queries::insert_rows(
            &mut self.tx,
            "group_members (group_id, user_id, business_id, created_at, expires_at)",
            on_conflict,
            rows,
        )
        .await?;
        for user in users {
            self.record(business, "user", user.to_string());
        }
        Ok(added)
    }

    async fn remove_group_member(
        &mut self,
        business: BusinessId,
        group: GroupId,
        user: UserId,
    ) -> Result<bool> {
        let removed = sqlx::query(
            "DELETE FROM group_members WHERE business_id = $1 AND group_id = $2 AND user_id = $3",
        )
        .bind(business.to_string())
        .bind(group.to_string())
        .bind(user.to_string())
        .execute(&mut *self.tx)
        .await
        .map_err(db)?
        .rows_affected();
        self.record(business, "user", user.to_string());
        Ok(removed > 0)
    }
}
