// Session events across nodes through Redis pub/sub: every node publishes on one channel and
// subscribes to it on a connection of its own (a subscribed connection can run nothing else),
// then hands each event to the streams open in this process. ioredis re-subscribes after a
// reconnect; an event published while this node was cut off is lost, and the page's next load
// shows the truth.
import { createLocalDispatch, parseSessionEvent, type SessionEventBus } from '../services/session-events.js';
import { closeRedis, connectRedis, type RedisClient } from './redis.js';

export async function createRedisSessionEvents(options: {
  redis: RedisClient;
  keyPrefix: string;
  onError: (error: Error) => void;
}): Promise<SessionEventBus> {
  const { redis, keyPrefix, onError } = options;
  const channel = `${keyPrefix}events:sessions`;
  const local = createLocalDispatch();
  const subscriber = redis.duplicate();
  // The main client reports outages already; this one only must not crash the process.
  subscriber.on('error', () => undefined);
  subscriber.on('message', (received: string, message: string) => {
    if (received !== channel) return;
    const event = parseSessionEvent(message);
    if (event) local.dispatch(event);
  });
  await connectRedis(subscriber);
  await subscriber.subscribe(channel);
  return {
    async publish(event) {
      try {
        await redis.publish(channel, JSON.stringify(event));
      } catch (error) {
        onError(error as Error);
      }
    },
    subscribe: local.subscribe,
    subscribeAll: local.subscribeAll,
    async close() {
      local.clear();
      await closeRedis(subscriber);
    },
  };
}
