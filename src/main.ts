// Process entry: config -> stores -> migrations -> compose (services, then the app) -> listen, and
// a graceful shutdown.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from './config.js';
import { composeApp, composeServices, type Services } from './compose.js';
import { closeGracefully } from './http/graceful-close.js';
import { createLogger, type Logger } from './logger.js';
import { migrate } from './storage/migrate.js';
import { openDatabase } from './storage/open.js';
import { openRedis } from './storage/open-redis.js';
import { closeRedis, type RedisClient } from './storage/redis.js';
import { startSweeper } from './storage/sweeper.js';

export interface RunningServer {
  server: Server;
  url: string;
  context: Services;
  stop(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const { database, description } = await openDatabase(config, 'owner');
  let redis: RedisClient | undefined;
  try {
    redis = await openRedis(config, logger);
    const applied = await migrate(database);
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied migrations');
    const context = await composeServices(config, { database, redis }, logger);
    const app = await composeApp(context);
    const sweeper = startSweeper({
      database,
      intervalSeconds: config.settings.sweeper.intervalSeconds,
      batchSize: config.settings.sweeper.batchSize,
      auditRetentionDays: config.settings.audit.retentionDays,
      logoutDeliveryRetentionDays: config.settings.sessions.backchannelLogout.retentionDays,
      accountMailRetentionDays: config.settings.mail.queue.retentionDays,
      onError: (error) => logger.warn({ err: { message: (error as Error).message } }, 'sweeper failed; will retry'),
    });
    const server = createServer(app.callback);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    logger.info({ url, issuer: config.issuer, storage: description }, 'gatehouse is listening');
    return {
      server,
      url,
      context,
      async stop() {
        // Live event streams never finish on their own, and the outbox worker must not start
        // a delivery it cannot record: both stop before the drain.
        await app.close();
        const { forced } = await closeGracefully(server, config.settings.shutdown.drainTimeoutMs);
        if (forced) logger.warn('requests still open after the drain time were cut');
        await sweeper.stop();
        await database.close();
        if (redis) await closeRedis(redis);
      },
    };
  } catch (error) {
    await database.close().catch(() => undefined);
    if (redis) await closeRedis(redis);
    throw error;
  }
}

export async function runServer(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const running = await startServer(config, logger);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.stop().then(() => process.exit(0), (error: unknown) => {
      logger.error({ err: { message: (error as Error).message } }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
