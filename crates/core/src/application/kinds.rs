//! The closed sets an application's settings choose from: client type, grant types, scopes
//! and the ID token's signing algorithm. Each has its stored text form (`as_str`, `parse`),
//! which is also its JSON form.

use serde::{Deserialize, Serialize};

macro_rules! text_enum {
    ($(#[$doc:meta])* $ty:ident, $what:literal { $($(#[$vdoc:meta])* $variant:ident => $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[doc = $what]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $ty {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)*
        }

        impl $ty {
            pub const ALL: &[$ty] = &[$($ty::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text,)*
                }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw)
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // Written out rather than derived: the derive does not see a `rename` made by a
        // macro, and the description must name the text forms the API uses.
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(Self::ALL.iter().map(|v| v.as_str())))
                    .description(Some($what))
                    .into()
            }
        }
        impl utoipa::ToSchema for $ty {}
    };
}

text_enum!(
    ClientType, "Whether the client can keep a secret (a server) or not (a browser or native app)." {
        /// Has a client secret; authenticates at the token endpoint.
        Confidential => "confidential",
        /// No secret; PKCE alone binds its codes.
        Public => "public",
    }
);

text_enum!(
    GrantType, "The OAuth grant types an application may use. There is no implicit, hybrid or password grant." {
        AuthorizationCode => "authorization_code",
        RefreshToken => "refresh_token",
        /// A service calling Gatehouse's API with its own rights (confidential clients).
        ClientCredentials => "client_credentials",
    }
);

text_enum!(
    Scope, "The scopes an application may ask for." {
        OpenId => "openid",
        Profile => "profile",
        Email => "email",
        OfflineAccess => "offline_access",
        /// The user's groups and effective permissions in the tokens.
        GatehouseAccess => "gatehouse:access",
    }
);

text_enum!(
    #[derive(Default)]
    SigningAlg, "How the ID tokens of an application are signed." {
        /// ECDSA P-256 with SHA-256 (the default).
        #[default]
        Es256 => "ES256",
        /// RSASSA-PKCS1-v1_5 with SHA-256, for clients that need it.
        Rs256 => "RS256",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_names_the_text_forms() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(Scope::schema()).unwrap();
        assert_eq!(
            schema["enum"],
            serde_json::json!([
                "openid",
                "profile",
                "email",
                "offline_access",
                "gatehouse:access"
            ])
        );
        let schema = serde_json::to_value(SigningAlg::schema()).unwrap();
        assert_eq!(schema["enum"], serde_json::json!(["ES256", "RS256"]));
    }

    #[test]
    fn text_forms_round_trip() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(*s));
            let json = serde_json::to_value(s).unwrap();
            assert_eq!(json, s.as_str());
        }
        assert_eq!(
            Scope::parse("gatehouse:access"),
            Some(Scope::GatehouseAccess)
        );
        assert_eq!(GrantType::parse("implicit"), None);
        assert_eq!(SigningAlg::default().as_str(), "ES256");
        assert_eq!(SigningAlg::parse("HS256"), None);
        assert_eq!(ClientType::parse("public"), Some(ClientType::Public));
    }
}
