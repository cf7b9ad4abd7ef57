// Redis publish/subscribe as a plain text channel, for messages every node must see. A node
// publishes on the main connection and listens on a connection of its own (a subscribed
// connection can run nothing else). ioredis re-subscribes after a reconnect; a message published
// while this node was cut off is lost, so only what a page's next load can recover belongs here.
import { closeRedis, connectRedis, type RedisClient } from './redis.js';

export interface BroadcastChannel {
  /** Sends to every node's listeners, this one's included; never throws (onError hears of failures). */
  publish(message: string): Promise<void>;
  /** Listens until close(). */
  listen(listener: (message: string) => void): void;
  close(): Promise<void>;
}

export async function openRedisChannel(options: {
  redis: RedisClient;
  name: string;
  onError: (error: Error) => void;
}): Promise<BroadcastChannel> {
  const { redis, name, onError } = options;
  const listeners: ((message: string) => void)[] = [];
  const subscriber = redis.duplicate();
  // The main client reports outages already; this one only must not crash the process.
  subscriber.on('error', () => undefined);
  subscriber.on('message', (received: string, message: string) => {
    if (received !== name) return;
    for (const listener of listeners) listener(message);
  });
  await connectRedis(subscriber);
  await subscriber.subscribe(name);
  return {
    async publish(message) {
      try {
        await redis.publish(name, message);
      } catch (error) {
        onError(error as Error);
      }
    },
    listen(listener) {
      listeners.push(listener);
    },
    async close() {
      listeners.length = 0;
      await closeRedis(subscriber);
    },
  };
}
