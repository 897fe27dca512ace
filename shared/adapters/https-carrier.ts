import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CarrierCommand } from '../domain/model.js';
import {
  CarrierRejectedError,
  CarrierTransientError,
  type CarrierCommandRequest,
  type CarrierGateway,
} from '../ports/carrier-gateway.js';
import { errorNameOf, isTransientAwsError } from './aws-faults.js';
import { carrierCommandDetailOf } from './eventbridge-carrier.js';

/**
 * Credentials of the provisioning endpoint, as a JSON secret: `{ "token": "..." }` (Bearer) or
 * `{ "username": "...", "password": "..." }` (Basic).
 */
type Credentials = { readonly kind: 'bearer'; readonly token: string } | { readonly kind: 'basic'; readonly username: string; readonly password: string };

function parseCredentials(secret: string | undefined): Credentials {
  let value: unknown;
  try {
    value = JSON.parse(secret ?? '');
  } catch {
    throw new CarrierRejectedError('carrier secret: not valid JSON');
  }
  if (typeof value === 'object' && value !== null) {
    const { token, username, password } = value as Record<string, unknown>;
    if (typeof token === 'string' && token !== '') return { kind: 'bearer', token };
    if (typeof username === 'string' && typeof password === 'string') return { kind: 'basic', username, password };
  }
  throw new CarrierRejectedError('carrier secret: needs "token", or "username" and "password"');
}

function authorizationOf(credentials: Credentials): string {
  return credentials.kind === 'bearer'
    ? `Bearer ${credentials.token}`
    : `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

export interface HttpsCarrierOptions {
  /** The provisioning endpoint: commands are POSTed to it as JSON. */
  readonly endpointUrl: string;
  readonly secretsManager: SecretsManagerClient;
  readonly secretId: string;
  /** Per request, connection included. @default 5000 */
  readonly timeoutMs?: number;
  /** How long the credentials are kept before reading the secret again (rotation). @default 300000 */
  readonly credentialsTtlMs?: number;
  /** Injected for tests. @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Calls the host operator's provisioning REST endpoint. The body carries the command; the
 * `Idempotency-Key` header lets the carrier drop a repeat (the workflow resends after a crash or a
 * timeout whose request did arrive). Only classifies failures: retries belong to the state machine.
 */
export class HttpsCarrier implements CarrierGateway {
  private credentials: { value: Credentials; until: number } | undefined;
  private readonly fetch: typeof globalThis.fetch;
  private readonly now: () => number;

  constructor(private readonly options: HttpsCarrierOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
  }

  send(command: CarrierCommand, request: CarrierCommandRequest): Promise<void> {
    return this.post(command, request);
  }

  private async credentialsNow(): Promise<Credentials> {
    if (this.credentials !== undefined && this.credentials.until > this.now()) return this.credentials.value;
    let secret: string | undefined;
    try {
      const output = await this.options.secretsManager.send(new GetSecretValueCommand({ SecretId: this.options.secretId }));
      secret = output.SecretString;
    } catch (e: unknown) {
      if (isTransientAwsError(e)) throw new CarrierTransientError(`carrier secret: could not be read (${errorNameOf(e)})`);
      throw new CarrierRejectedError(`carrier secret: could not be read (${errorNameOf(e)})`);
    }
    const value = parseCredentials(secret);
    this.credentials = { value, until: this.now() + (this.options.credentialsTtlMs ?? 300_000) };
    return value;
  }

  private async post(command: CarrierCommand, request: CarrierCommandRequest): Promise<void> {
    const credentials = await this.credentialsNow();
    let response: Response;
    try {
      response = await this.fetch(this.options.endpointUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: authorizationOf(credentials),
          'idempotency-key': request.idempotencyKey,
        },
        body: JSON.stringify(carrierCommandDetailOf(command, request)),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
      // Drain the body so the connection is reused; its content is the carrier's, not ours to log.
      await response.arrayBuffer();
    } catch (e: unknown) {
      // Timeouts and network failures: the command may or may not have arrived; the key makes a resend safe.
      throw new CarrierTransientError(`${command}: provisioning endpoint unreachable (${errorNameOf(e)})`);
    }
    if (response.ok) return;
    if (response.status === 401 || response.status === 403) {
      // Rotated credentials: read the secret again on the next attempt.
      this.credentials = undefined;
    }
    if (response.status === 408 || response.status === 429 || response.status >= 500) {
      throw new CarrierTransientError(`${command}: provisioning endpoint answered ${response.status}`);
    }
    throw new CarrierRejectedError(`${command}: provisioning endpoint refused the command (${response.status})`);
  }
}
