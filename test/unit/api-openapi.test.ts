/**
 * docs/openapi.json is generated from the route table and the zod schemas the API validates with: this
 * regenerates it and compares (a schema change not followed by `npm run openapi` fails), lints it with a real
 * OpenAPI linter (Redocly CLI, offline, rules in docs/redocly.yaml), and checks what the API promises of
 * it: every route documented once with its role's tag, problem details on every error, ETag and If-Match on
 * every change of the subscriber.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { roleOfRoute, ROUTE_KEYS, type RouteKey } from '../../shared/selfcare/api.js';
import { buildOpenApiDocument, OPENAPI_PATH, renderOpenApiDocument } from '../../shared/selfcare/openapi.js';

const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REDOCLY = fileURLToPath(new URL('../../node_modules/@redocly/cli/bin/cli.js', import.meta.url));

type Json = Record<string, unknown>;

function refsOf(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsOf(v, found));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') found.push(v);
      else refsOf(v, found);
    }
  }
  return found;
}

function operationsOf(doc: Json): Array<{ route: RouteKey; op: Json }> {
  const paths = doc.paths as Record<string, Json>;
  return Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([k]) => ['get', 'put', 'post', 'delete', 'patch'].includes(k))
      .map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}` as RouteKey, op: op as Json })),
  );
}

describe('OpenAPI document', () => {
  it('docs/openapi.json is what the schemas generate (run `npm run openapi` to refresh)', () => {
    expect(readFileSync(OPENAPI_PATH, 'utf8')).toBe(renderOpenApiDocument());
  });

  it('passes the Redocly linter (recommended-strict and the rules of docs/redocly.yaml) with no error or warning', async () => {
    const { stdout } = await run(process.execPath, [REDOCLY, 'lint', OPENAPI_PATH, '--config', 'docs/redocly.yaml', '--format', 'json'], {
      cwd: ROOT,
      // Offline and quiet: no telemetry, no update check.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', CI: 'true' },
      timeout: 60_000,
    });
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string }> };

    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('is OpenAPI 3.1, versioned under /v1, with servers, a license and one tag per role', () => {
    const doc = buildOpenApiDocument();
    const info = doc.info as Json;

    expect(doc.openapi).toBe('3.1.0');
    expect(info.license).toEqual({ name: 'Apache 2.0', identifier: 'Apache-2.0' });
    expect((doc.servers as Json[]).length).toBeGreaterThanOrEqual(2);
    expect((doc.tags as Json[]).map((t) => t.name)).toEqual(['Self-care', 'Operator', 'Pseudonym lookup']);
    expect(Object.keys(doc.paths as Json).every((p) => p.startsWith('/v1/'))).toBe(true);
  });

  it('documents exactly the routes the handler serves, each tagged with its role', () => {
    const ops = operationsOf(buildOpenApiDocument());
    const tagOf = { subscriber: 'Self-care', operator: 'Operator', pseudonymLookup: 'Pseudonym lookup' } as const;

    expect(ops.map((o) => o.route).sort()).toEqual([...ROUTE_KEYS].sort());
    for (const { route, op } of ops) expect(op.tags, route).toEqual([tagOf[roleOfRoute(route)]]);
  });

  it('answers every error as application/problem+json, 405 with Allow, and an ETag with If-Match on every change of the subscriber', () => {
    for (const { route, op } of operationsOf(buildOpenApiDocument())) {
      const responses = op.responses as Record<string, Json>;
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) >= 400) expect(Object.keys(response.content as Json), `${route} ${status}`).toEqual(['application/problem+json']);
      }
      expect((responses['405']?.headers as Json | undefined)?.Allow, route).toBeDefined();
      const takesIfMatch = ((op.parameters as Json[] | undefined) ?? []).some((p) => p.name === 'If-Match');
      const changes = !route.startsWith('GET') && !route.endsWith('/resend');
      expect(takesIfMatch, `${route} If-Match`).toBe(changes);
      if (takesIfMatch) {
        const ok = Object.entries(responses).filter(([status]) => status.startsWith('2') && status !== '204');
        for (const [status, response] of ok) expect((response.headers as Json | undefined)?.ETag, `${route} ${status} ETag`).toBeDefined();
        expect(responses['412'], `${route} 412`).toBeDefined();
      }
    }
  });

  it('resolves every $ref to a component', () => {
    const doc = buildOpenApiDocument();
    const schemas = (doc.components as { schemas: Json }).schemas;

    const refs = refsOf(doc);

    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(Object.keys(schemas)).toContain(ref.slice('#/components/schemas/'.length));
    }
  });

  it('compiles every component with a JSON Schema 2020-12 validator and accepts a documented example', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    ajv.addSchema(buildOpenApiDocument(), 'openapi');
    const validate = (name: string) => {
      const v = ajv.getSchema(`openapi#/components/schemas/${name}`);
      if (v === undefined) throw new Error(name);
      return v;
    };
    const consent = { who: 'account holder, signed in', at: '2026-09-15T09:58:00Z', channel: 'web' };

    expect(validate('SubscriberProfileInput')({ msisdn: '+33612345678', plan: { dataAllowanceBytes: 0 }, email: 'A.B@Example.ORG' })).toBe(true);
    expect(validate('SubscriberProfileInput')({ msisdn: '0612', plan: { dataAllowanceBytes: 0 } })).toBe(false);
    expect(validate('CapsChange')({ roamingCap: { enabled: false }, consent })).toBe(true);
    expect(validate('CapsChange')({ roamingCap: { enabled: false }, optOutConsent: true })).toBe(false);
    expect(validate('CapsChange')({ roamingCap: { limitMicros: -1 } })).toBe(false);
    expect(validate('OperatorCapsChange')({ roamingCap: { limitMicros: 1 } })).toBe(false);
    expect(validate('OperatorCapsChange')({ roamingCap: { limitMicros: 1 }, reason: 'ticket 1' })).toBe(true);
    expect(validate('ConsentToContinue')({ bucket: 'overage' })).toBe(true);
    expect(validate('ConsentToContinue')({ bucket: 'all' })).toBe(false);
    expect(validate('OperatorConsentToContinue')({ bucket: 'overage', reason: 'ticket 2' })).toBe(false);
    expect(validate('Problem')({ type: 'urn:spendcap:problem:invalid-request', title: 't', status: 400, code: 'invalid-request', errors: [{ path: 'bucket', message: 'x' }] })).toBe(true);
    expect(validate('Problem')({ type: 'urn:spendcap:problem:nope', title: 't', status: 400, code: 'nope' })).toBe(false);
  });
});
