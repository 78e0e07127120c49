/**
 * Redis connections for the queue (ioredis, which BullMQ drives). Every
 * command first connects with a short timeout, so an unreachable Redis is
 * one line naming the URL within a few seconds instead of a hang. After
 * that first connection, long-running clients (workers, `results --wait`)
 * reconnect forever with a capped back-off; one-shot commands do not.
 */
import { Redis } from 'ioredis';
import { QueueUnreachableError } from './errors.js';
import type { QueueUrl } from './url.js';

/** How long the first connection may take before the command gives up. */
export const CONNECT_TIMEOUT_MS = 3000;
/** Longest pause between reconnection attempts after Redis went away. */
export const RECONNECT_MAX_DELAY_MS = 2000;

export interface ConnectOptions {
  /** Reconnect after a lost connection and hold commands until then (workers, `--wait`). */
  readonly reconnect: boolean;
  /** Lines about the connection being lost and regained. */
  readonly log?: (line: string) => void;
  /** Connection name shown by `CLIENT LIST`. */
  readonly name?: string;
}

/** Connects to `url`; rejects with `E_QUEUE_UNREACHABLE` naming the URL within about CONNECT_TIMEOUT_MS. */
export async function connectRedis(url: QueueUrl, options: ConnectOptions): Promise<Redis> {
  let established = false;
  let lastError: Error | undefined;
  let down = false;
  const client = new Redis({
    host: url.host,
    port: url.port,
    db: url.db,
    username: url.username,
    password: url.password,
    tls: url.tls ? {} : undefined,
    connectionName: options.name,
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // ioredis waits this long for a half-open socket after disconnect() before destroying it (default 2 s, which delays exit).
    disconnectTimeout: 200,
    // BullMQ's blocking commands need `null` (wait for the reconnection); one-shot commands fail fast.
    maxRetriesPerRequest: options.reconnect ? null : 1,
    enableOfflineQueue: true,
    retryStrategy: (times) => (established && options.reconnect ? Math.min(100 * 2 ** Math.min(times, 5), RECONNECT_MAX_DELAY_MS) : null),
  });
  client.on('error', (err: Error) => {
    lastError = err;
    if (established && options.reconnect && !down) {
      down = true;
      options.log?.(`lost the connection to ${url.display} (${describe(err)}); reconnecting`);
    }
  });
  client.on('ready', () => {
    if (down) options.log?.(`reconnected to ${url.display}`);
    down = false;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    client.disconnect();
    const reason = describe(lastError ?? (err as Error));
    throw new QueueUnreachableError(`${url.display}: cannot reach Redis (${reason}); is redis-server running there and reachable from this machine?`, err);
  } finally {
    clearTimeout(timer);
  }
  established = true;
  return client;
}

function describe(err: Error): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ECONNREFUSED') return 'connection refused';
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return `host not found`;
  if (e.code === 'ETIMEDOUT' || /timeout|no answer/i.test(e.message)) return `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`;
  if (/RESP|protocol/i.test(e.message)) return 'the server there does not speak the Redis protocol';
  if (/NOAUTH|WRONGPASS|invalid password|AUTH/i.test(e.message)) return `authentication failed: ${e.message.split('\n')[0]}`;
  return e.message.replace(/\s+/g, ' ').slice(0, 200);
}

/** Closes a connection politely, or at once if Redis does not answer within a second. */
export async function closeRedis(client: Redis): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.quit().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 1000)))]);
  clearTimeout(timer);
  client.disconnect();
}
