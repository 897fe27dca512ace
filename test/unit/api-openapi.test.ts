/**
 * docs/openapi.json is generated from the zod schemas the API validates with: this regenerates it and
 * compares, so a schema change that was not followed by `tsx shared/selfcare/openapi.ts --write` fails.
 */
import { readFileSync } from 'node:fs';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { ROUTE_KEYS } from '../../shared/selfcare/api.js';
import { buildOpenApiDocument, OPENAPI_PATH, renderOpenApiDocument } from '../../shared/selfcare/openapi.js';

const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

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

describe('OpenAPI document', () => {
  it('docs/openapi.json is what the schemas generate (run `npx tsx shared/selfcare/openapi.ts --write` to refresh)', () => {
    expect(readFileSync(OPENAPI_PATH, 'utf8')).toBe(renderOpenApiDocument());
  });

  it('is OpenAPI 3.1 and documents exactly the routes the handler serves', () => {
    const doc = buildOpenApiDocument();
    const paths = doc.paths as Record<string, Json>;
    const documented = Object.entries(paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((k) => ['get', 'put', 'post', 'delete', 'patch'].includes(k))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );

    expect(doc.openapi).toBe('3.1.0');
    expect(documented.sort()).toEqual([...ROUTE_KEYS].sort());
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

    expect(validate('SubscriberProfileInput')({ msisdn: '+33612345678', plan: { dataAllowanceBytes: 0 }, email: 'A.B@Example.ORG' })).toBe(true);
    expect(validate('SubscriberProfileInput')({ msisdn: '0612', plan: { dataAllowanceBytes: 0 } })).toBe(false);
    expect(validate('CapsChange')({ roamingCap: { enabled: false }, optOutConsent: true })).toBe(true);
    expect(validate('CapsChange')({ roamingCap: { limitMicros: -1 } })).toBe(false);
    expect(validate('ConsentToContinue')({ bucket: 'overage' })).toBe(true);
    expect(validate('ConsentToContinue')({ bucket: 'all' })).toBe(false);
    expect(validate('Error')({ error: 'invalid request', fields: [{ path: 'bucket', message: 'must be one of roaming, overage' }] })).toBe(true);
  });
});
