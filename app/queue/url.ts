/**
 * The queue's address: `redis://[user:password@]HOST:PORT[/DB]` (or
 * `rediss://` for TLS). Parsed once, checked, and shown back to the user
 * with any password replaced by `***`.
 */
import { invalidArgument } from '../../core/errors.js';

export interface QueueUrl {
  /** As given (may hold a password: never print it; print `display`). */
  readonly href: string;
  /** The URL with any password masked, for messages. */
  readonly display: string;
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: boolean;
}

const EXPECTED = 'a Redis URL redis://HOST:PORT[/DB] (rediss:// for TLS; DB an integer from 0 to 15)';

/** Parses `--queue`; one `E_INVALID_ARGUMENT` line on anything malformed. */
export function parseQueueUrl(value: string, option = '--queue'): QueueUrl {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw invalidArgument(option, EXPECTED, value);
  }
  if ((u.protocol !== 'redis:' && u.protocol !== 'rediss:') || u.hostname === '' || u.search !== '' || u.hash !== '') {
    throw invalidArgument(option, EXPECTED, maskPassword(value, u));
  }
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!/^\d*$/.test(dbText) || !Number.isInteger(db) || db < 0 || db > 15) throw invalidArgument(option, EXPECTED, maskPassword(value, u));
  const password = u.password === '' ? undefined : decodeURIComponent(u.password);
  const username = u.username === '' ? undefined : decodeURIComponent(u.username);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    href: value,
    display: `${u.protocol}//${username ? `${username}${password ? ':***' : ''}@` : password ? ':***@' : ''}${u.host}/${db}`,
    host,
    port,
    db,
    username,
    password,
    tls: u.protocol === 'rediss:',
  };
}

function maskPassword(value: string, u: URL): string {
  return u.password ? value.replace(`:${u.password}@`, ':***@') : value;
}
