-- Deleting a client revokes its grants and client-credentials tokens: find them by client without
-- reading the whole table. Partial, so the hot token rows pay nothing for it.
CREATE INDEX oidc_payloads_client_id_idx ON oidc_payloads (model, (payload->>'clientId'))
  WHERE model IN ('Grant', 'ClientCredentials');
