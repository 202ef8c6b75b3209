//! Registering, changing and deleting applications, and rotating their secrets: each in one
//! transaction with its audit events (`application.created`, `.updated`, `.deleted`,
//! `.secret_rotated`, and the service key's own `api_key.created` / `api_key.revoked`).

use serde_json::json;

use super::secret::ClientSecret;
use super::service_key::{insert_service_key, revoke_service_key};
use super::{ApplicationPatch, NewApplication, settings, target};
use crate::application::{
    ACCESS_TOKEN_TTL, Application, ApplicationView, GrantType, ID_TOKEN_TTL, REFRESH_TOKEN_TTL,
};
use crate::audit::RequestContext;
use crate::error::{Error, Result};
use crate::ids::ApplicationId;
use crate::principal::{ApiKeysManage, ApplicationsManage, BusinessAccess};
use crate::services::{Audit, Gatehouse};
use crate::types::ApiKeyName;

fn service_permissions_unwanted() -> Error {
    Error::invalid(
        "invalid_service_permissions",
        "service_permissions",
        "only an application with the client_credentials grant type has service permissions",
    )
}

impl Gatehouse {
    /// Registers an application. A confidential client gets a secret, returned this once.
    /// With `client_credentials`, `keys` (the caller's `api_keys.manage`) is required and
    /// the service gets `service_permissions`, no more than the caller holds.
    pub async fn create_application(
        &self,
        access: &BusinessAccess<ApplicationsManage>,
        keys: Option<&BusinessAccess<ApiKeysManage>>,
        ctx: &RequestContext,
        new: NewApplication,
    ) -> Result<(ApplicationView, Option<String>)> {
        let now = self.now();
        let business = access.business_id();
        let mut app = Application {
            id: ApplicationId::new(now),
            business_id: business,
            name: new.name,
            client_type: new.client_type,
            first_party: new.first_party,
            redirect_uris: new.redirect_uris,
            post_logout_redirect_uris: new.post_logout_redirect_uris,
            backchannel_logout_uri: new.backchannel_logout_uri,
            allowed_scopes: new.allowed_scopes,
            grant_types: new.grant_types,
            require_mfa: new.require_mfa,
            access_token_ttl: new
                .access_token_ttl
                .unwrap_or_else(|| ACCESS_TOKEN_TTL.default_lifetime()),
            refresh_token_ttl: new
                .refresh_token_ttl
                .unwrap_or_else(|| REFRESH_TOKEN_TTL.default_lifetime()),
            id_token_ttl: new
                .id_token_ttl
                .unwrap_or_else(|| ID_TOKEN_TTL.default_lifetime()),
            id_token_signed_response_alg: new.id_token_signed_response_alg,
            secret_hash: None,
            secret_rotated_at: None,
            service_key_id: None,
            created_by: access.actor().clone(),
            created_at: now,
            updated_at: now,
        };
        app.normalise_and_check()?;
        let service = if app.allows_grant(GrantType::ClientCredentials) {
            let grants = new.service_permissions.unwrap_or_default();
            Some(self.prepare_service_key(keys, &app, grants, new.acknowledge_sensitive, now)?)
        } else if new.service_permissions.is_some() {
            return Err(service_permissions_unwanted());
        } else {
            None
        };
        let secret = if app.is_confidential() {
            Some(ClientSecret::from_random(self.random_bytes()?))
        } else {
            None
        };
        app.secret_hash = secret.as_ref().map(|s| s.hash);
        app.secret_rotated_at = secret.as_ref().map(|_| now);
        app.service_key_id = service.as_ref().map(|k| k.stored.key.id);

        let mut tx = self.store().begin().await?;
        tx.get_business(business)
            .await?
            .ok_or(Error::BusinessNotFound)?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let mut events = vec![audit.event(
            "application.created",
            target(&app),
            None,
            Some(settings(&app)),
        )];
        if let Some(key) = &service {
            events.extend(insert_service_key(tx.as_mut(), &audit, &app, key).await?);
        }
        tx.insert_application(&app).await?;
        self.commit(tx, events).await?;
        let grants = service.map(|k| k.stored.key.grants);
        Ok((ApplicationView::new(app, grants), secret.map(|s| s.text)))
    }

    /// Changes an application's settings. Adding `client_credentials`, or new
    /// `service_permissions`, replaces its service key and needs `keys`; removing the grant
    /// type revokes the key.
    pub async fn update_application(
        &self,
        access: &BusinessAccess<ApplicationsManage>,
        keys: Option<&BusinessAccess<ApiKeysManage>>,
        ctx: &RequestContext,
        id: ApplicationId,
        patch: ApplicationPatch,
    ) -> Result<ApplicationView> {
        let now = self.now();
        let business = access.business_id();
        let mut tx = self.store().begin().await?;
        let before = tx
            .lock_application(business, id)
            .await?
            .ok_or(Error::ApplicationNotFound)?;
        let mut app = before.clone();
        apply(&mut app, &patch);
        app.updated_at = now;
        app.normalise_and_check()?;
        let wants_service = app.allows_grant(GrantType::ClientCredentials);
        if patch.service_permissions.is_some() && !wants_service {
            return Err(service_permissions_unwanted());
        }
        let replace = wants_service
            && (before.service_key_id.is_none() || patch.service_permissions.is_some());
        let new_key = if replace {
            let grants = patch.service_permissions.clone().unwrap_or_default();
            Some(self.prepare_service_key(keys, &app, grants, patch.acknowledge_sensitive, now)?)
        } else {
            None
        };
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let mut events = Vec::new();
        if let Some(old) = before.service_key_id.filter(|_| replace || !wants_service) {
            events.push(revoke_service_key(tx.as_mut(), &audit, &before, old).await?);
            app.service_key_id = None;
        }
        if let Some(key) = &new_key {
            events.extend(insert_service_key(tx.as_mut(), &audit, &app, key).await?);
            app.service_key_id = Some(key.stored.key.id);
        } else if let Some(key) = app.service_key_id.filter(|_| app.name != before.name) {
            // The service acts (and is audited) under its application's name.
            tx.rename_api_key(business, key, &ApiKeyName::parse(app.name.as_str())?)
                .await?;
        }
        tx.update_application(&app).await?;
        events.insert(
            0,
            audit.event(
                "application.updated",
                target(&app),
                Some(settings(&before)),
                Some(settings(&app)),
            ),
        );
        self.commit(tx, events).await?;
        match new_key {
            Some(key) => Ok(ApplicationView::new(app, Some(key.stored.key.grants))),
            None => self.view_of(app).await,
        }
    }

    /// Deletes an application: its sign-ins and service rights end at once.
    pub async fn delete_application(
        &self,
        access: &BusinessAccess<ApplicationsManage>,
        ctx: &RequestContext,
        id: ApplicationId,
    ) -> Result<()> {
        let now = self.now();
        let business = access.business_id();
        let mut tx = self.store().begin().await?;
        let app = tx
            .lock_application(business, id)
            .await?
            .ok_or(Error::ApplicationNotFound)?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let mut events = vec![audit.event(
            "application.deleted",
            target(&app),
            Some(settings(&app)),
            None,
        )];
        if let Some(key) = app.service_key_id {
            events.push(revoke_service_key(tx.as_mut(), &audit, &app, key).await?);
        }
        tx.delete_application(business, id).await?;
        self.commit(tx, events).await
    }

    /// Gives a confidential client a new secret, returned this once; the old one stops
    /// working at once.
    pub async fn rotate_application_secret(
        &self,
        access: &BusinessAccess<ApplicationsManage>,
        ctx: &RequestContext,
        id: ApplicationId,
    ) -> Result<(ApplicationView, String)> {
        let now = self.now();
        let business = access.business_id();
        let secret = ClientSecret::from_random(self.random_bytes()?);
        let mut tx = self.store().begin().await?;
        let mut app = tx
            .lock_application(business, id)
            .await?
            .ok_or(Error::ApplicationNotFound)?;
        if !app.is_confidential() {
            return Err(Error::NoClientSecret);
        }
        app.secret_hash = Some(secret.hash);
        app.secret_rotated_at = Some(now);
        app.updated_at = now;
        tx.update_application(&app).await?;
        let audit = Audit::new(now, Some(business), access.actor(), ctx);
        let event = audit.event(
            "application.secret_rotated",
            target(&app),
            None,
            Some(json!({ "secret_rotated_at": now.unix_timestamp() })),
        );
        self.commit(tx, vec![event]).await?;
        Ok((self.view_of(app).await?, secret.text))
    }
}

/// Applies the settings a patch names.
fn apply(app: &mut Application, p: &ApplicationPatch) {
    let p = p.clone();
    if let Some(v) = p.name {
        app.name = v;
    }
    if let Some(v) = p.first_party {
        app.first_party = v;
    }
    if let Some(v) = p.redirect_uris {
        app.redirect_uris = v;
    }
    if let Some(v) = p.post_logout_redirect_uris {
        app.post_logout_redirect_uris = v;
    }
    if let Some(v) = p.backchannel_logout_uri {
        app.backchannel_logout_uri = v;
    }
    if let Some(v) = p.allowed_scopes {
        app.allowed_scopes = v;
    }
    if let Some(v) = p.grant_types {
        app.grant_types = v;
    }
    if let Some(v) = p.require_mfa {
        app.require_mfa = v;
    }
    if let Some(v) = p.access_token_ttl {
        app.access_token_ttl = v;
    }
    if let Some(v) = p.refresh_token_ttl {
        app.refresh_token_ttl = v;
    }
    if let Some(v) = p.id_token_ttl {
        app.id_token_ttl = v;
    }
    if let Some(v) = p.id_token_signed_response_alg {
        app.id_token_signed_response_alg = v;
    }
}
