/**
 * A small SMF and PCF, for the tests, the bench and anyone trying the local real-time path: they speak
 * HTTP/2 without TLS (h2c) to the charging function, and listen on h2c for its callbacks.
 *
 * - `SmfSimulator` opens PDU sessions (Nchf_ConvergedCharging create), uses and reports quota (update),
 *   releases them, and records the re-authorisation requests it receives on its notifyUri.
 * - `PcfSimulator` subscribes to the caps' policy counters (Nchf_SpendingLimitControl) and records the status
 *   notifications and terminations it receives on its notifUri.
 *
 * Every answer and callback body is checked against the zod schemas written from the 3GPP definitions, so a
 * test that runs the simulator also checks what spendcap sends.
 */
import { connect, constants, createServer, type ClientHttp2Session, type Http2Server, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { chargingDataResponseSchema, chargingNotifyRequestSchema, type ChargingDataResponse, type MultipleUnitInformation } from '../shared/charging/schemas.js';
import { spendingLimitStatus, subscriptionTerminationInfo, type SpendingLimitStatus } from '../shared/spending-limit/schemas.js';

export interface SbiAnswer<T = unknown> {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: T;
}

/** One HTTP/2 (h2c) client connection to the charging function. */
export class SbiConnection {
  private session: ClientHttp2Session | undefined;

  constructor(private readonly baseUrl: string) {}

  request<T = unknown>(method: string, path: string, body?: unknown): Promise<SbiAnswer<T>> {
    if (this.session === undefined || this.session.closed || this.session.destroyed) {
      this.session = connect(this.baseUrl);
      this.session.on('error', () => undefined);
    }
    const session = this.session;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: method,
        [constants.HTTP2_HEADER_PATH]: path,
        ...(payload !== undefined ? { [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/json', [constants.HTTP2_HEADER_CONTENT_LENGTH]: payload.length } : {}),
      });
      let status = 0;
      const headers: Record<string, string> = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        status = Number(h[constants.HTTP2_HEADER_STATUS]);
        for (const [name, value] of Object.entries(h)) if (typeof value === 'string' && !name.startsWith(':')) headers[name] = value;
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status, headers, body: (text === '' ? undefined : JSON.parse(text)) as T });
      });
      stream.on('error', reject);
      if (payload !== undefined) stream.end(payload);
      else stream.end();
    });
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }
}

/** An h2c server that records the JSON bodies POSTed to it (the callbacks of the charging function). */
class CallbackServer {
  readonly received: Array<{ readonly path: string; readonly body: unknown }> = [];
  private server: Http2Server | undefined;
  private readonly sessions = new Set<ServerHttp2Session>();
  private waiters: Array<{ predicate: () => boolean; resolve: () => void }> = [];
  /** Status to answer with next (each consumed once): lets a test make the consumer fail. */
  readonly failNext: number[] = [];
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const failure = this.failNext.shift();
        if (failure !== undefined) {
          res.writeHead(failure);
          res.end();
          return;
        }
        const text = Buffer.concat(chunks).toString('utf8');
        this.received.push({ path: req.url, body: text === '' ? undefined : JSON.parse(text) });
        res.writeHead(204);
        res.end();
        for (const w of this.waiters.filter((x) => x.predicate())) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
      });
    });
    // A client's idle session would hold close() open: they are closed with the server.
    this.server.on('session', (session) => {
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  /** Resolves when `predicate` holds (checked at each callback), or rejects after `timeoutMs`. */
  waitUntil(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching callback within ${timeoutMs} ms (got ${this.received.length})`)), timeoutMs);
      this.waiters.push({
        predicate,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const session of this.sessions) session.close();
    await closed;
  }
}

export interface SessionOptions {
  /** SUPI, e.g. imsi-208011234567890. */
  readonly supi: string;
  /** MCC+MNC of the serving network (the SMF's servingCNPlmnId). */
  readonly servingPlmn: string;
  /** @default 10 */
  readonly ratingGroup?: number;
  /** Volume asked for at each request (absent: the charging function's default). */
  readonly requestedBytes?: number;
  /** Identifies the PDU session for a retransmitted create. */
  readonly chargingId?: number;
}

/** One PDU session as the SMF keeps it: the resource, the sequence number and the grant in force. */
export class SimulatedSession {
  seq = 0;
  granted = 0;
  lastUnit: MultipleUnitInformation | undefined;

  constructor(
    private readonly smf: SmfSimulator,
    readonly ref: string,
    readonly options: SessionOptions,
    first: ChargingDataResponse,
  ) {
    this.take(first);
  }

  /** Reports `usedBytes` of the current grant and asks for more (`requestedBytes`, or the session's default). */
  async update(usedBytes: number, requestedBytes: number | undefined = this.options.requestedBytes): Promise<SbiAnswer<ChargingDataResponse>> {
    this.seq += 1;
    const answer = await this.smf.invoke(`/chargingdata/${this.ref}/update`, this.body(usedBytes, requestedBytes ?? 0, true));
    if (answer.status === 200) this.take(answer.body);
    return answer;
  }

  /** Sends the last update again, as after a lost answer (same invocationSequenceNumber). */
  retransmit(usedBytes: number, requestedBytes: number | undefined = this.options.requestedBytes): Promise<SbiAnswer<ChargingDataResponse>> {
    return this.smf.invoke(`/chargingdata/${this.ref}/update`, { ...this.body(usedBytes, requestedBytes ?? 0, true), retransmissionIndicator: true });
  }

  async release(usedBytes: number): Promise<SbiAnswer<unknown>> {
    this.seq += 1;
    const answer = await this.smf.invoke(`/chargingdata/${this.ref}/release`, this.body(usedBytes, undefined, false));
    this.granted = 0;
    return answer;
  }

  private take(response: ChargingDataResponse): void {
    this.lastUnit = response.multipleUnitInformation?.find((u) => u.ratingGroup === (this.options.ratingGroup ?? 10));
    this.granted = this.lastUnit?.grantedUnit?.totalVolume ?? 0;
  }

  body(usedBytes: number, requestedBytes: number | undefined, ask: boolean): Record<string, unknown> {
    const ratingGroup = this.options.ratingGroup ?? 10;
    const unit: Record<string, unknown> = { ratingGroup };
    if (ask) unit.requestedUnit = requestedBytes !== undefined && requestedBytes > 0 ? { totalVolume: requestedBytes } : {};
    if (usedBytes > 0) unit.usedUnitContainer = [{ localSequenceNumber: 1, totalVolume: usedBytes, triggers: [{ triggerType: 'QUOTA_EXHAUSTED', triggerCategory: 'IMMEDIATE_REPORT' }] }];
    return this.smf.envelope(this.options, this.seq, [unit]);
  }
}

export class SmfSimulator {
  private readonly connection: SbiConnection;
  private readonly callbacks = new CallbackServer();
  readonly nfInstanceId = randomUUID();
  private notifyBase = '';

  constructor(chargingFunctionUrl: string) {
    this.connection = new SbiConnection(chargingFunctionUrl);
  }

  /** Starts the SMF's notification endpoint (for re-authorisations). */
  async start(): Promise<this> {
    this.notifyBase = await this.callbacks.start();
    return this;
  }

  /** ChargingNotifyRequests received, checked against the definition. */
  get reauthorizations(): unknown[] {
    return this.callbacks.received.map((r) => chargingNotifyRequestSchema.parse(r.body));
  }

  waitForReauthorization(timeoutMs?: number): Promise<void> {
    const seen = this.callbacks.received.length;
    return this.callbacks.waitUntil(() => this.callbacks.received.length > seen, timeoutMs);
  }

  async openSession(options: SessionOptions): Promise<{ session?: SimulatedSession; answer: SbiAnswer<ChargingDataResponse> }> {
    const body = this.envelope(options, 0, [{ ratingGroup: options.ratingGroup ?? 10, requestedUnit: options.requestedBytes !== undefined ? { totalVolume: options.requestedBytes } : {} }]);
    const answer = await this.invoke('/chargingdata', { ...body, subscriberIdentifier: options.supi });
    const ref = answer.headers.location?.split('/').pop();
    if (answer.status !== 201 || ref === undefined) return { answer };
    return { session: new SimulatedSession(this, ref, options, answer.body), answer };
  }

  /** POST to the charging function; a 2xx body is checked against ChargingDataResponse. */
  async invoke(path: string, body: unknown): Promise<SbiAnswer<ChargingDataResponse>> {
    const answer = await this.connection.request<ChargingDataResponse>('POST', `/nchf-convergedcharging/v3${path}`, body);
    if (answer.status === 200 || answer.status === 201) chargingDataResponseSchema.parse(answer.body);
    return answer;
  }

  envelope(options: SessionOptions, seq: number, units: unknown[]): Record<string, unknown> {
    const plmn = { mcc: options.servingPlmn.slice(0, 3), mnc: options.servingPlmn.slice(3) };
    return {
      nfConsumerIdentification: { nodeFunctionality: 'SMF', nFName: this.nfInstanceId },
      invocationTimeStamp: new Date().toISOString(),
      invocationSequenceNumber: seq,
      ...(this.notifyBase !== '' ? { notifyUri: `${this.notifyBase}/nsmf-notify/charging` } : {}),
      multipleUnitUsage: units,
      pDUSessionChargingInformation: {
        ...(options.chargingId !== undefined ? { chargingId: options.chargingId } : {}),
        userLocationinfo: { nrLocation: { tai: { plmnId: plmn, tac: '0001' }, ncgi: { plmnId: plmn, nrCellId: '000000010' } } },
        pduSessionInformation: { pduSessionID: 1, dnnId: 'internet', servingCNPlmnId: plmn, ratType: 'NR' },
      },
    };
  }

  async stop(): Promise<void> {
    this.connection.close();
    await this.callbacks.stop();
  }
}

export class PcfSimulator {
  private readonly connection: SbiConnection;
  private readonly callbacks = new CallbackServer();
  private notifBase = '';

  constructor(chargingFunctionUrl: string) {
    this.connection = new SbiConnection(chargingFunctionUrl);
  }

  async start(): Promise<this> {
    this.notifBase = `${await this.callbacks.start()}/npcf-slc`;
    return this;
  }

  get notifUri(): string {
    return this.notifBase;
  }

  /** Status notifications received (POST {notifUri}/notify), checked against SpendingLimitStatus. */
  get notifications(): SpendingLimitStatus[] {
    return this.callbacks.received.filter((r) => r.path.endsWith('/notify')).map((r) => spendingLimitStatus.parse(r.body) as SpendingLimitStatus);
  }

  /** Terminations received (POST {notifUri}/terminate). */
  get terminations(): unknown[] {
    return this.callbacks.received.filter((r) => r.path.endsWith('/terminate')).map((r) => subscriptionTerminationInfo.parse(r.body));
  }

  /** The consumer answers the next notifications with these statuses (a PCF down or overloaded). */
  failNextNotifications(...statuses: number[]): void {
    this.callbacks.failNext.push(...statuses);
  }

  waitForNotifications(count: number, timeoutMs?: number): Promise<void> {
    return this.callbacks.waitUntil(() => this.callbacks.received.length >= count, timeoutMs);
  }

  async subscribe(context: { supi?: string; gpsi?: string; policyCounterIds?: string[]; notifId?: string }): Promise<SbiAnswer<SpendingLimitStatus>> {
    const answer = await this.connection.request<SpendingLimitStatus>('POST', '/nchf-spendinglimitcontrol/v1/subscriptions', { ...context, notifUri: this.notifBase });
    if (answer.status === 201) spendingLimitStatus.parse(answer.body);
    return answer;
  }

  modify(id: string, context: { supi?: string; policyCounterIds?: string[] }): Promise<SbiAnswer<SpendingLimitStatus>> {
    return this.connection.request('PUT', `/nchf-spendinglimitcontrol/v1/subscriptions/${id}`, { ...context, notifUri: this.notifBase });
  }

  unsubscribe(id: string): Promise<SbiAnswer<unknown>> {
    return this.connection.request('DELETE', `/nchf-spendinglimitcontrol/v1/subscriptions/${id}`);
  }

  async stop(): Promise<void> {
    this.connection.close();
    await this.callbacks.stop();
  }
}
