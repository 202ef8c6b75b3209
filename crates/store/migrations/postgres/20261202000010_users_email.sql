-- Accounts by email across businesses: the landing page mails a person the sign-in links of
-- every business where their address has an account.
CREATE INDEX users_email ON users (email);
