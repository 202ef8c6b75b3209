//! Reading users: by id, several at once, and the filtered, sorted, keyset-paged listing
//! (whose tenant filter is the engine's rule: members of a group that covers the tenant).

use super::Gatehouse;
use crate::error::Result;
use crate::ids::{BusinessId, UserId};
use crate::model::User;
use crate::page::{Page, decode_cursor, paginate};
use crate::principal::{BusinessAccess, UsersView};
use crate::store::{UserFilter, UserSort};

impl Gatehouse {
    /// Several users by id, in that order; ids of other businesses are left out.
    pub async fn get_users(
        &self,
        access: &BusinessAccess<UsersView>,
        ids: &[UserId],
    ) -> Result<Vec<User>> {
        self.store.get_users(access.business_id(), ids).await
    }

    /// A page of the listing: the first, or the one after `cursor`, which must be a
    /// `next_cursor` this listing issued in this order (anything else is `invalid_cursor`).
    pub async fn list_users(
        &self,
        access: &BusinessAccess<UsersView>,
        filter: &UserFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<User>> {
        self.list_users_in(access.business_id(), filter, cursor, limit)
            .await
    }

    /// The email-ordered listing from where `prefix` would sort (the dashboard's "jump to"):
    /// a position the caller chooses, so it is no cursor and needs no checking.
    pub async fn list_users_from_email(
        &self,
        access: &BusinessAccess<UsersView>,
        filter: &UserFilter,
        prefix: &str,
        limit: u32,
    ) -> Result<Page<User>> {
        let filter = UserFilter {
            sort: UserSort::Email,
            ..filter.clone()
        };
        let after = prefix.trim().to_lowercase();
        self.list_users_after(access.business_id(), &filter, Some(after), limit)
            .await
    }

    pub(crate) async fn list_users_in(
        &self,
        business: BusinessId,
        filter: &UserFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<User>> {
        let after = cursor.map(decode_cursor).transpose()?;
        if let Some(key) = &after {
            filter.sort.check_cursor(key)?;
        }
        self.list_users_after(business, filter, after, limit).await
    }

    async fn list_users_after(
        &self,
        business: BusinessId,
        filter: &UserFilter,
        after: Option<String>,
        limit: u32,
    ) -> Result<Page<User>> {
        let mut resolved = filter.clone();
        if let Some(tenant) = filter.tenant {
            // "Access in a tenant" is the engine's rule: a group that covers it.
            let snapshot = self
                .engine
                .snapshot_or_load(self.store.as_ref(), business)
                .await?;
            resolved.member_of_any = Some(snapshot.groups_covering(tenant));
        }
        let (items, total) = self
            .store
            .list_users(business, &resolved, after.as_deref(), limit + 1)
            .await?;
        let mut page = paginate(items, limit, Some(total.count), |u| {
            filter.sort.cursor_of(u)
        });
        page.total_estimated = !total.exact;
        Ok(page)
    }
}
