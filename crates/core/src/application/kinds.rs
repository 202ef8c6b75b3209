//! The closed sets an application's settings choose from: client type, grant types, scopes
//! and the ID token's signing algorithm. Each has its stored text form (`as_str`, `parse`),
//! which is also its JSON form.

use serde::{Deserialize, Serialize};

macro_rules! text_enum {
    ($(#[$doc:meta])* $ty:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            utoipa::ToSchema,
        )]
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
    };
}

text_enum!(
    /// Whether the client can keep a secret (a server) or not (a browser or native app).
    ClientType {
        /// Has a client secret; authenticates at the token endpoint.
        Confidential => "confidential",
        /// No secret; PKCE alone binds its codes.
        Public => "public",
    }
);

text_enum!(
    /// The OAuth grant types an application may use. There is no implicit, hybrid or
    /// password grant.
    GrantType {
        AuthorizationCode => "authorization_code",
        RefreshToken => "refresh_token",
        /// A service calling Gatehouse's API with its own rights (confidential clients).
        ClientCredentials => "client_credentials",
    }
);

text_enum!(
    /// The scopes an application may ask for.
    Scope {
        OpenId => "openid",
        Profile => "profile",
        Email => "email",
        OfflineAccess => "offline_access",
        /// The user's groups and effective permissions in the tokens.
        GatehouseAccess => "gatehouse:access",
    }
);

text_enum!(
    /// How the ID tokens of an application are signed.
    #[derive(Default)]
    SigningAlg {
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
