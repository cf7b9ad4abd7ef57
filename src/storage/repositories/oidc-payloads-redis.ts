// The only Redis commands for oidc-provider payloads. Layout under the key prefix:
//   `${model}:${id}`     the JSON payload, expiring with it (`consumed` is a field inside it)
//   `grant:${grantId}`   a set of the member keys of every model holding that grant; its TTL is the
//                        longest member's, so it outlives none of them and lingers after none
//   `uid:${uid}`, `userCode:${userCode}`   the id of the record, with the record's TTL
// Every write of one call runs in one Lua script, so no reader sees a record without its indexes.
// Member keys reached through the grant index are not declared to the script: fine for a single
// Redis or Sentinel; on Cluster, put the whole prefix in one hash slot (e.g. `{gatehouse}:`).
import { callRedis, defineScript, type RedisClient } from '../redis.js';
import type { Payload, PayloadStore } from './oidc-payloads.js';

// Appends `consumed` to a JSON object text without re-encoding it: cjson would turn empty arrays
// into objects and round large numbers, so the stored bytes are only ever extended.
const WITH_CONSUMED = `
local function withConsumed(json, at)
  local separator = ','
  if json == '{}' then separator = '' end
  return string.sub(json, 1, -2) .. separator .. '"consumed":' .. string.format('%d', at) .. '}'
end
local function consumedOf(json)
  if not json or not string.find(json, '"consumed"', 1, true) then return nil end
  local ok, decoded = pcall(cjson.decode, json)
  if ok and type(decoded) == 'table' and type(decoded.consumed) == 'number' then return decoded.consumed end
  return nil
end
`;

// KEYS[1] the record, KEYS[2..] its indexes, one letter each in ARGV[3]: g = grant set, p = pointer.
// ARGV[1] JSON, ARGV[2] TTL in ms (0: none), ARGV[4] id, ARGV[5] '1' to keep an existing `consumed`
// (re-saving a live record never un-consumes it, as in the Postgres adapter).
const upsertScript = defineScript(`${WITH_CONSUMED}
local key, json, ttl, roles, id = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
if ARGV[5] == '1' then
  local consumed = consumedOf(redis.call('GET', key))
  if consumed then json = withConsumed(json, consumed) end
end
local function put(k, v)
  if ttl > 0 then redis.call('SET', k, v, 'PX', ttl) else redis.call('SET', k, v) end
end
put(key, json)
for i = 1, #roles do
  local index = KEYS[i + 1]
  if string.sub(roles, i, i) == 'g' then
    local current = redis.call('PTTL', index)
    redis.call('SADD', index, key)
    if ttl == 0 then redis.call('PERSIST', index)
    elseif current ~= -1 and current < ttl then redis.call('PEXPIRE', index, ttl) end
  else
    put(index, id)
  end
end
return 1`);

// Compare-and-set on the server's clock, so nodes with skewed clocks agree: 1 only for the call
// that set `consumed`; 0 when it was already set or the record is gone.
const consumeScript = defineScript(`${WITH_CONSUMED}
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, decoded = pcall(cjson.decode, raw)
if not ok or type(decoded) ~= 'table' then return redis.error_reply('ERR payload is not a JSON object') end
if decoded.consumed ~= nil and decoded.consumed ~= cjson.null then return 0 end
redis.call('SET', KEYS[1], withConsumed(raw, tonumber(redis.call('TIME')[1])), 'KEEPTTL')
return 1`);

// KEYS[1] the record, KEYS[2..] its indexes as in upsert; a pointer goes only if it still names ARGV[2].
const destroyScript = defineScript(`
local roles = ARGV[1]
redis.call('UNLINK', KEYS[1])
for i = 1, #roles do
  local index = KEYS[i + 1]
  if string.sub(roles, i, i) == 'g' then redis.call('SREM', index, KEYS[1])
  elseif redis.call('GET', index) == ARGV[2] then redis.call('UNLINK', index) end
end
return 1`);

// KEYS[1] the grant set; removes its members whose key starts with ARGV[1] (one model), in batches.
const revokeScript = defineScript(`
local prefix, doomed = ARGV[1], {}
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if string.sub(member, 1, #prefix) == prefix then doomed[#doomed + 1] = member end
end
for i = 1, #doomed, 500 do
  local batch = { unpack(doomed, i, math.min(i + 499, #doomed)) }
  redis.call('UNLINK', unpack(batch))
  redis.call('SREM', KEYS[1], unpack(batch))
end
return #doomed`);

function ttlMs(expiresInSeconds: number | undefined): number {
  if (expiresInSeconds === undefined) return 0;
  return Math.max(1, Math.round(expiresInSeconds * 1000));
}

function parse(json: string | null): Payload | undefined {
  return json === null ? undefined : (JSON.parse(json) as Payload);
}

export function createRedisPayloadStore(deps: { redis: RedisClient; keyPrefix: string }): PayloadStore {
  const { redis, keyPrefix } = deps;
  const recordKey = (model: string, id: string) => `${keyPrefix}${model}:${id}`;
  const grantKey = (grantId: string) => `${keyPrefix}grant:${grantId}`;
  const uidKey = (uid: string) => `${keyPrefix}uid:${uid}`;
  const userCodeKey = (userCode: string) => `${keyPrefix}userCode:${userCode}`;

  function indexesOf(fields: { grantId?: unknown; uid?: unknown; userCode?: unknown }): { keys: string[]; roles: string } {
    const keys: string[] = [];
    let roles = '';
    if (typeof fields.grantId === 'string') { keys.push(grantKey(fields.grantId)); roles += 'g'; }
    if (typeof fields.uid === 'string') { keys.push(uidKey(fields.uid)); roles += 'p'; }
    if (typeof fields.userCode === 'string') { keys.push(userCodeKey(fields.userCode)); roles += 'p'; }
    return { keys, roles };
  }

  async function findVia(model: string, pointer: string, field: 'uid' | 'userCode', value: string) {
    const id = await callRedis(() => redis.get(pointer));
    if (id === null) return undefined;
    const payload = await find(model, id);
    return payload?.[field] === value ? payload : undefined;
  }

  async function find(model: string, id: string): Promise<Payload | undefined> {
    return parse(await callRedis(() => redis.get(recordKey(model, id))));
  }

  return {
    async upsert(record) {
      const { keys, roles } = indexesOf(record);
      const keepConsumed = record.payload.consumed === undefined ? '1' : '0';
      const json = JSON.stringify(record.payload);
      await callRedis(() => upsertScript(redis, [recordKey(record.model, record.id), ...keys], [json, ttlMs(record.expiresInSeconds), roles, record.id, keepConsumed]));
    },
    async insertIfAbsent(record) {
      const key = recordKey(record.model, record.id);
      const json = JSON.stringify(record.payload);
      const ttl = ttlMs(record.expiresInSeconds);
      const reply = await callRedis(() => (ttl > 0 ? redis.set(key, json, 'PX', ttl, 'NX') : redis.set(key, json, 'NX')));
      return reply === 'OK';
    },
    find,
    findByUid: (model, uid) => findVia(model, uidKey(uid), 'uid', uid),
    findByUserCode: (model, userCode) => findVia(model, userCodeKey(userCode), 'userCode', userCode),
    async consume(model, id) {
      return (await callRedis(() => consumeScript(redis, [recordKey(model, id)], []))) === 1;
    },
    async destroy(model, id) {
      const payload = await find(model, id);
      if (!payload) return;
      const { keys, roles } = indexesOf(payload);
      await callRedis(() => destroyScript(redis, [recordKey(model, id), ...keys], [roles, id]));
    },
    async revokeByGrantId(model, grantId) {
      return Number(await callRedis(() => revokeScript(redis, [grantKey(grantId)], [`${keyPrefix}${model}:`])));
    },
  };
}
