/**
 * The OpenAPI 3.1 document of the self-care and admin API, generated from the zod schemas that the handler
 * validates with (shared/selfcare/schemas.ts). docs/openapi.json is this output; a test regenerates it and
 * compares, so a schema change without `tsx shared/selfcare/openapi.ts --write` fails the build.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { periodQuerySchema, REQUEST_COMPONENTS, RESPONSE_COMPONENTS } from './schemas.js';

type JsonObject = Record<string, unknown>;

export const OPENAPI_PATH = fileURLToPath(new URL('../../docs/openapi.json', import.meta.url));

const REF = (id: string): string => `#/components/schemas/${id}`;

/**
 * JSON Schema renders a regex without its flags: A's e-mail pattern is case-insensitive, so the bare pattern
 * would refuse upper-case addresses that the API accepts. `format: email` says it well enough.
 */
function withoutFlaggedPatterns(ctx: { zodSchema: unknown; jsonSchema: JsonObject }): void {
  if (ctx.jsonSchema.format === 'email') delete ctx.jsonSchema.pattern;
}

function components(entries: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(entries)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io, uri: REF, override: withoutFlaggedPatterns, unrepresentable: 'throw' });
  const out: Record<string, JsonObject> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _ignored, $id: _id, ...rest } = schema as JsonObject;
    out[id] = rest;
  }
  return out;
}

const json = (id: string) => ({ 'application/json': { schema: { $ref: REF(id) } } });
const errorResponse = (description: string) => ({ description, content: json('Error') });

const subscriberIdParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The subscriber id (subscriber.v1 `subscriberId`), URL-encoded.',
  schema: { type: 'string', minLength: 1, maxLength: 64 },
};

const STANDARD_ERRORS = {
  '400': errorResponse('Invalid request: `fields` names every field at fault.'),
  '403': { description: 'The caller is not allowed (IAM authorization, SigV4).' },
  '404': errorResponse('Unknown subscriber.'),
};

export function buildOpenApiDocument(): JsonObject {
  const requests = components(REQUEST_COMPONENTS, 'input');
  const responses = components(RESPONSE_COMPONENTS, 'output');
  const periodParameter = z.toJSONSchema(periodQuerySchema, { target: 'draft-2020-12', io: 'input' }) as JsonObject;
  const { $schema: _s, description: periodDescription, ...periodSchema } = periodParameter;
  return {
    openapi: '3.1.0',
    info: {
      title: 'spendcap self-care and admin API',
      version: '1.0.0',
      description:
        "Subscriber profiles, spend caps, consent to continue past a cap, notification channels, usage and the audit trail of a billing period. Every route requires IAM authorization (SigV4). Money is integer micro-units (EUR 1 = 1000000), excluding VAT.",
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ sigv4: [] }],
    paths: {
      '/subscribers/{id}': {
        parameters: [subscriberIdParameter],
        put: {
          operationId: 'putSubscriber',
          summary: 'Create or replace a subscriber profile (idempotent)',
          description:
            'A change of a cap through the profile takes effect at once, as with PUT /caps (the provisioning system records the consent to opt out itself).',
          requestBody: { required: true, content: json('SubscriberProfileInput') },
          responses: {
            '200': { description: 'Replaced (or unchanged).', content: json('SubscriberProfile') },
            '201': { description: 'Created.', content: json('SubscriberProfile') },
            '400': STANDARD_ERRORS['400'],
            '403': STANDARD_ERRORS['403'],
            '409': errorResponse('A concurrent update of the same subscriber; retry.'),
          },
        },
        get: {
          operationId: 'getSubscriber',
          summary: 'Read a subscriber profile',
          responses: { '200': { description: 'The profile.', content: json('SubscriberProfile') }, ...STANDARD_ERRORS },
        },
        delete: {
          operationId: 'deleteSubscriber',
          summary: 'Delete a subscriber profile',
          responses: { '204': { description: 'Deleted.' }, ...STANDARD_ERRORS },
        },
      },
      '/subscribers/{id}/usage': {
        parameters: [subscriberIdParameter],
        get: {
          operationId: 'getUsage',
          summary: 'Usage, charges, bars and audit trail of a billing period',
          parameters: [{ name: 'period', in: 'query', required: false, description: periodDescription, schema: periodSchema }],
          responses: { '200': { description: 'The period.', content: json('Usage') }, ...STANDARD_ERRORS },
        },
      },
      '/subscribers/{id}/caps': {
        parameters: [subscriberIdParameter],
        put: {
          operationId: 'putCaps',
          summary: 'Change the roaming / overage spend caps (idempotent, takes effect at once)',
          description:
            'Lowering a limit to or below the spend of the current period bars that data now (with the cap message); raising it above the spend, or opting out, lifts a bar the cap had put in place.',
          requestBody: { required: true, content: json('CapsChange') },
          responses: {
            '200': { description: 'The caps in force and the carrier commands started.', content: json('Caps') },
            ...STANDARD_ERRORS,
            '409': errorResponse('The counters kept changing concurrently; retry.'),
          },
        },
      },
      '/subscribers/{id}/consent': {
        parameters: [subscriberIdParameter],
        post: {
          operationId: 'postConsent',
          summary: 'Continue past the cap for the rest of the billing period (idempotent)',
          description: 'Lifts the bar (ROAMING_RESUMED message for roaming); from then on the charges of the bucket are billable.',
          requestBody: { required: true, content: json('ConsentToContinue') },
          responses: {
            '200': { description: 'Consent recorded.', content: json('Consent') },
            ...STANDARD_ERRORS,
            '409': errorResponse('The counters kept changing concurrently; retry.'),
          },
        },
      },
      '/subscribers/{id}/notifications': {
        parameters: [subscriberIdParameter],
        put: {
          operationId: 'putNotifications',
          summary: 'Switch notification channels on or off (idempotent)',
          requestBody: { required: true, content: json('NotificationChannelsChange') },
          responses: { '200': { description: 'The channels in force.', content: json('NotificationChannels') }, ...STANDARD_ERRORS },
        },
      },
    },
    components: {
      schemas: { ...responses, ...requests },
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4 (API Gateway IAM authorization).',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
  };
}

export function renderOpenApiDocument(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = renderOpenApiDocument();
  if (process.argv.includes('--write')) {
    writeFileSync(OPENAPI_PATH, text);
    process.stdout.write(`wrote ${OPENAPI_PATH}\n`);
  } else {
    process.stdout.write(text);
  }
}
