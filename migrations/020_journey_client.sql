-- The app a person was signing in to when they asked for a verification or reset mail. The queued
-- job carries it to the worker, which stores it on the link's token, so that the page the link
-- opens can offer "Continue to <app>" even in another browser. Only a registered client's id is
-- kept (never a URL): the page looks the client up and links to its own registered addresses.
ALTER TABLE account_mail_jobs ADD COLUMN client_id text CHECK (length(client_id) <= 255);
ALTER TABLE email_verification_tokens ADD COLUMN client_id text CHECK (length(client_id) <= 255);
ALTER TABLE password_reset_tokens ADD COLUMN client_id text CHECK (length(client_id) <= 255);
