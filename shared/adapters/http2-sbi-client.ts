/**
 * POSTs JSON to a 5G core consumer's callback over HTTP/2, as the service-based interface requires: TLS
 * (`https://`, with a client certificate when the consumer asks for mutual TLS) in a deployment, h2c
 * (`http://`, prior knowledge) for the local simulator. One session per origin, reused; a broken session is
 * dropped and the next call opens a new one.
 */
import { connect, constants, type ClientHttp2Session, type SecureClientSessionOptions } from 'node:http2';
import type { SbiClient, SbiPostResult } from '../ports/sbi-notifications.js';

export interface Http2SbiClientOptions {
  /** Per request, connection included. @default 5000 */
  readonly timeoutMs?: number;
  /** TLS options (CA bundle, client certificate and key for mutual TLS). */
  readonly tls?: Pick<SecureClientSessionOptions, 'ca' | 'cert' | 'key' | 'servername'>;
}

export class Http2SbiClient implements SbiClient {
  private readonly sessions = new Map<string, ClientHttp2Session>();

  constructor(private readonly options: Http2SbiClientOptions = {}) {}

  async post(uri: string, body: unknown): Promise<SbiPostResult> {
    const url = new URL(uri);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`callback URI scheme ${url.protocol} is not http(s)`);
    const session = this.sessionOf(url.origin);
    const payload = Buffer.from(JSON.stringify(body));
    const timeoutMs = this.options.timeoutMs ?? 5000;
    return new Promise<SbiPostResult>((resolve, reject) => {
      const stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: `${url.pathname}${url.search}`,
        [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/json',
        [constants.HTTP2_HEADER_CONTENT_LENGTH]: payload.length,
      });
      const timer = setTimeout(() => {
        stream.close(constants.NGHTTP2_CANCEL);
        reject(new Error(`callback timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      let status = 0;
      let location: string | undefined;
      stream.on('response', (headers) => {
        status = Number(headers[constants.HTTP2_HEADER_STATUS]);
        const l = headers[constants.HTTP2_HEADER_LOCATION];
        if (typeof l === 'string') location = new URL(l, url).toString();
      });
      // The consumer's answer body is drained, not read: it is theirs, not ours to log.
      stream.on('data', () => undefined);
      stream.on('end', () => {
        clearTimeout(timer);
        resolve({ status, ...(location !== undefined ? { location } : {}) });
      });
      stream.on('error', (e) => {
        clearTimeout(timer);
        this.drop(url.origin, session);
        reject(e);
      });
      stream.end(payload);
    });
  }

  /** Closes every session (tests, local shutdown). */
  close(): void {
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
  }

  private sessionOf(origin: string): ClientHttp2Session {
    const existing = this.sessions.get(origin);
    if (existing !== undefined && !existing.closed && !existing.destroyed) return existing;
    const session = connect(origin, this.options.tls ?? {});
    session.on('error', () => this.drop(origin, session));
    session.on('close', () => this.drop(origin, session));
    // A notification worker must not be kept alive by an idle connection.
    session.unref();
    this.sessions.set(origin, session);
    return session;
  }

  private drop(origin: string, session: ClientHttp2Session): void {
    if (this.sessions.get(origin) === session) this.sessions.delete(origin);
    if (!session.destroyed) session.destroy();
  }
}
