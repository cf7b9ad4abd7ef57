-- Mail that an account page asks for (password reset, verification resend, registration), queued
-- in the request and sent by a worker after the answer, so that the answer time does not depend
-- on whether the address has an account (ASVS 5.0 V6.3.8). A row names the address, never a link:
-- the worker mints the single-use token when it sends the mail.
CREATE TABLE account_mail_jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('password_reset', 'verification', 'registration_attempt')),
  email text NOT NULL CHECK (length(email) <= 320),
  ip text,
  user_agent text CHECK (length(user_agent) <= 512),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text CHECK (length(last_error) <= 300),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_mail_jobs_due_idx ON account_mail_jobs (next_attempt_at) WHERE status = 'pending';
CREATE INDEX account_mail_jobs_failed_idx ON account_mail_jobs (updated_at) WHERE status = 'failed';
