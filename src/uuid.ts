// The shape of the ids Postgres gives accounts (gen_random_uuid) and Entra gives tenants and users:
// checked before a lookup, so text that cannot be one never reaches storage (a uuid column would
// refuse it with an error, not an empty answer).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
