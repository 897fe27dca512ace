import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CARRIER_EVENT_DETAIL_TYPE, CARRIER_EVENT_SOURCE, EventBridgeCarrier } from '../../shared/adapters/eventbridge-carrier.js';
import { HttpsCarrier } from '../../shared/adapters/https-carrier.js';
import { CarrierRejectedError, CarrierTransientError, type CarrierCommandRequest } from '../../shared/ports/carrier-gateway.js';

const request: CarrierCommandRequest = {
  subscriberId: '208011234567890',
  idempotencyKey: '0123456789abcdef0123456789abcdef',
  at: '2026-09-10T13:40:00.000Z',
  reason: 'ROAMING_CAP_REACHED@50000000',
};

describe('EventBridgeCarrier', () => {
  const events = mockClient(EventBridgeClient);
  const carrier = new EventBridgeCarrier({ client: new EventBridgeClient({ region: 'eu-west-3' }), eventBusName: 'spendcap-carrier-commands' });

  afterEach(() => {
    events.reset();
  });

  it('puts one event per command on the carrier-commands bus', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    await carrier.send('BAR_DATA_ROAMING', request);
    await carrier.send('UNBAR_DATA_OVERAGE', request);

    const entries = events.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.[0]);
    expect(entries[0]).toEqual({
      EventBusName: 'spendcap-carrier-commands',
      Source: CARRIER_EVENT_SOURCE,
      DetailType: CARRIER_EVENT_DETAIL_TYPE,
      Detail: JSON.stringify({ command: 'BAR_DATA_ROAMING', ...request }),
      Time: new Date(request.at),
    });
    expect(JSON.parse(entries[1]?.Detail ?? '{}').command).toBe('UNBAR_DATA_OVERAGE');
  });

  it('a bar carries the end of its period, so that the carrier can plan the lift', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    await carrier.send('BAR_DATA_ROAMING', { ...request, barEndsAt: '2026-09-30T22:00:00Z' });

    const detail = JSON.parse(events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Detail ?? '{}') as Record<string, unknown>;
    expect(detail).toMatchObject({ command: 'BAR_DATA_ROAMING', barEndsAt: '2026-09-30T22:00:00Z' });
  });

  it('treats FailedEntryCount > 0 as an error: transient when throttled, rejected otherwise', async () => {
    events
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }] });

    await expect(carrier.send('BAR_DATA_OVERAGE', request)).rejects.toBeInstanceOf(CarrierTransientError);
    const refused = await carrier.send('BAR_DATA_OVERAGE', request).catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(CarrierRejectedError);
    expect((refused as Error).name).toBe('CarrierRejectedError');
    expect((refused as Error).message).toContain('FailedEntryCount');
  });

  it('maps SDK errors: server faults are transient', async () => {
    events.on(PutEventsCommand).rejects(Object.assign(new Error('internal'), { name: 'InternalException', $fault: 'server', $metadata: { httpStatusCode: 500 } }));

    const error = await carrier.send('UNBAR_DATA_ROAMING', request).catch((e: unknown) => e);

    expect((error as Error).name).toBe('CarrierTransientError');
    expect((error as Error).message).not.toContain(request.subscriberId);
  });
});

describe('HttpsCarrier', () => {
  const secrets = mockClient(SecretsManagerClient);
  let server: Server;
  let url: string;
  const received: Array<{ headers: IncomingMessage['headers']; body: unknown }> = [];
  const answers: number[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(body) as unknown });
        const status = answers.shift() ?? 200;
        if (status === 0) return; // never answers: the client times out
        res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/provisioning/data-bars`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  afterEach(() => {
    secrets.reset();
    received.length = 0;
    answers.length = 0;
  });

  function carrier(): HttpsCarrier {
    return new HttpsCarrier({ endpointUrl: url, secretsManager: new SecretsManagerClient({ region: 'eu-west-3' }), secretId: 'carrier-secret', timeoutMs: 300 });
  }

  it('POSTs the command with the Idempotency-Key header and the credentials, reading the secret once', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ token: 's3cret' }) });
    const gateway = carrier();

    await gateway.send('BAR_DATA_ROAMING', request);
    await gateway.send('UNBAR_DATA_ROAMING', request);

    expect(received).toHaveLength(2);
    expect(received[0]?.headers['idempotency-key']).toBe(request.idempotencyKey);
    expect(received[0]?.headers.authorization).toBe('Bearer s3cret');
    expect(received[0]?.body).toEqual({ command: 'BAR_DATA_ROAMING', ...request });
    expect((received[1]!.body as { command: string }).command).toBe('UNBAR_DATA_ROAMING');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('uses Basic authentication for a username/password secret', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'mvno', password: 'pw' }) });

    await carrier().send('BAR_DATA_OVERAGE', request);

    expect(received[0]?.headers.authorization).toBe(`Basic ${Buffer.from('mvno:pw').toString('base64')}`);
  });

  it.each([
    [429, 'CarrierTransientError'],
    [500, 'CarrierTransientError'],
    [503, 'CarrierTransientError'],
    [400, 'CarrierRejectedError'],
    [404, 'CarrierRejectedError'],
  ])('answers %i -> %s', async (status, name) => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ token: 't' }) });
    answers.push(status);

    const error = await carrier().send('BAR_DATA_ROAMING', request).catch((e: unknown) => e);

    expect((error as Error).name).toBe(name);
    expect((error as Error).message).toContain(String(status));
  });

  it('a timeout or an unreachable endpoint is transient (the key makes the resend safe)', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ token: 't' }) });
    answers.push(0);
    const unreachable = new HttpsCarrier({ endpointUrl: 'http://127.0.0.1:1/x', secretsManager: new SecretsManagerClient({ region: 'eu-west-3' }), secretId: 's' });

    await expect(carrier().send('BAR_DATA_ROAMING', request)).rejects.toBeInstanceOf(CarrierTransientError);
    await expect(unreachable.send('BAR_DATA_ROAMING', request)).rejects.toBeInstanceOf(CarrierTransientError);
  });

  it('reads the secret again after a 401 (rotated credentials)', async () => {
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: JSON.stringify({ token: 'old' }) }).resolves({ SecretString: JSON.stringify({ token: 'new' }) });
    answers.push(401, 200);
    const gateway = carrier();

    await expect(gateway.send('BAR_DATA_ROAMING', request)).rejects.toBeInstanceOf(CarrierRejectedError);
    await gateway.send('BAR_DATA_ROAMING', request);

    expect(received.map((r) => r.headers.authorization)).toEqual(['Bearer old', 'Bearer new']);
  });

  it('a malformed secret is a rejected command, naming what is missing', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ user: 'x' }) });

    const error = await carrier().send('BAR_DATA_ROAMING', request).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CarrierRejectedError);
    expect((error as Error).message).toContain('"token"');
    expect(received).toHaveLength(0);
  });
});
