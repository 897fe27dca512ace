/**
 * The OpenAPI 3.1 document of the self-care and operator API, generated from the route table
 * (shared/selfcare/api.ts) and the zod schemas that the handler validates with (shared/selfcare/schemas.ts).
 * docs/openapi.json is this output: a test regenerates it and compares, so a schema change without
 * `npm run openapi` fails the build, and another test lints it with Redocly's rules.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { CHANGE_REASON_HEADER, roleOfRoute, ROUTES, type ApiRole, type RouteKey } from './api.js';
import { PROBLEM_CONTENT_TYPE, PROBLEMS, problemTypeOf, type ProblemCode } from './problems.js';
import { msisdnQuerySchema, periodQuerySchema, pseudonymParameterSchema, REQUEST_COMPONENTS, RESPONSE_COMPONENTS } from './schemas.js';

type JsonObject = Record<string, unknown>;

export const OPENAPI_PATH = fileURLToPath(new URL('../../docs/openapi.json', import.meta.url));

const REF = (id: string): string => `#/components/schemas/${id}`;

/**
 * JSON Schema renders a regex without its flags: A's e-mail pattern is case-insensitive, so the bare pattern
 * would refuse upper-case addresses that the API accepts. `format: email` says it well enough; likewise the
 * long generated pattern of a date-time says no more than `format: date-time`.
 */
function withoutFlaggedPatterns(ctx: { zodSchema: unknown; jsonSchema: JsonObject }): void {
  if (ctx.jsonSchema.format === 'email' || ctx.jsonSchema.format === 'date-time') delete ctx.jsonSchema.pattern;
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

function parameterSchema(schema: z.ZodType): { description: string; schema: JsonObject } {
  const { $schema: _s, description, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as JsonObject;
  return { description: String(description ?? ''), schema: rest };
}

const json = (id: string, example?: unknown) => ({
  'application/json': { schema: { $ref: REF(id) }, ...(example !== undefined && { example }) },
});

const EXAMPLE_ID = 'imsi-208150000000001';

const ETAG_HEADER = {
  ETag: {
    description: "The subscriber's revision: send it back in If-Match to change the subscriber only if nobody changed it since.",
    schema: { type: 'string', examples: ['"7"'] },
  },
};

function problemResponse(description: string, code: ProblemCode, detail: string, extra: JsonObject = {}): JsonObject {
  const { status, title } = PROBLEMS[code];
  return {
    description,
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: REF('Problem') },
        example: { type: problemTypeOf(code), title, status, detail, code, ...extra },
      },
    },
  };
}

const invalid = (detail: string, path: string, message: string) =>
  problemResponse('Invalid request: `errors` names every field at fault (`id` for a subscriber id over the contract`s 64 characters).', 'invalid-request', detail, {
    errors: [{ path, message }],
  });
const FORBIDDEN = {
  description: 'The caller may not call this route (IAM: its role has no execute-api:Invoke on it), or the route belongs to another role than the function`s (`wrong-role`).',
  content: {
    [PROBLEM_CONTENT_TYPE]: {
      schema: { $ref: REF('Problem') },
      example: { type: problemTypeOf('wrong-role'), title: PROBLEMS['wrong-role'].title, status: 403, detail: 'this function serves the subscriber routes; this one is a operator route', code: 'wrong-role' },
    },
  },
};
const UNKNOWN = problemResponse('Unknown subscriber.', 'unknown-subscriber', 'no profile with this subscriber id');
const METHOD_NOT_ALLOWED = {
  ...problemResponse('The path exists, the method does not: `Allow` lists the methods it answers.', 'method-not-allowed', 'this route answers PUT'),
  headers: { Allow: { description: 'The methods the path answers.', schema: { type: 'string', examples: ['PUT, GET, DELETE'] } } },
};
const CONCURRENT = problemResponse('The counters kept changing under a concurrent writer (usually ingest); retry.', 'concurrent-change', 'the record changed concurrently; retry the request');
const PRECONDITION = problemResponse('If-Match named another revision: the subscriber changed since (412).', 'precondition-failed', 'the subscriber changed since that ETag: GET it again, then retry with the new ETag');
const CONSENT_REQUIRED = problemResponse("An opt-out without the subscriber's consent statement.", 'consent-required', "an opt-out of roamingCap needs the subscriber's consent statement", {
  errors: [{ path: 'consent', message: "required to opt out of roamingCap: { who, at, channel } of the subscriber's consent" }],
});

const subscriberIdParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The subscriber id (subscriber.v1 `subscriberId`, 1 to 64 characters), URL-encoded. Longer ids are refused with 400.',
  schema: { type: 'string', minLength: 1, maxLength: 64 },
  example: EXAMPLE_ID,
};

const ifMatchParameter = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description: "The subscriber's ETag as last read (GET, or the answer of a change): the change is made only if the subscriber is still at that revision, else 412. `*` matches any existing subscriber.",
  schema: { type: 'string' },
  example: '"7"',
};

const TAGS: Record<ApiRole, { name: string; description: string }> = {
  subscriber: {
    name: 'Self-care',
    description:
      "Called by the MVNO's subscriber-facing portal backend on behalf of a signed-in subscriber: own usage and audit trail, own limit within the deployment's bounds, opt-out/in with a consent statement, consent to continue, notification choices. IAM policy: SelfCareApiInvokePolicyArn.",
  },
  operator: {
    name: 'Operator',
    description:
      'Called by the MVNO’s provisioning and support systems: profile lifecycle, MSISDN and e-mail changes, search by MSISDN, and changes of a subscriber’s choices on their behalf (with a reason, kept in the audit trail). IAM policy: OperatorApiInvokePolicyArn.',
  },
  pseudonymLookup: {
    name: 'Pseudonym lookup',
    description: 'From a pseudonym seen in a log line, an alert or an execution name back to the subscriber: its own permission (PseudonymLookupInvokePolicyArn), granted to few.',
  },
};

interface OperationSpec {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly parameters?: readonly JsonObject[];
  readonly requestBody?: string;
  readonly requestExample?: unknown;
  readonly responses: JsonObject;
}

function operation(route: RouteKey, spec: OperationSpec): JsonObject {
  return {
    operationId: spec.operationId,
    tags: [TAGS[roleOfRoute(route)].name],
    summary: spec.summary,
    ...(spec.description !== undefined && { description: spec.description }),
    ...(spec.parameters !== undefined && { parameters: [...spec.parameters] }),
    ...(spec.requestBody !== undefined && { requestBody: { required: true, content: json(spec.requestBody, spec.requestExample) } }),
    responses: { ...spec.responses, '403': FORBIDDEN },
  };
}

const CONSENT_EXAMPLE = { who: 'account holder, signed in', at: '2026-09-15T09:58:00Z', channel: 'web' };

function periodParameter(): JsonObject {
  const { description, schema } = parameterSchema(periodQuerySchema);
  return { name: 'period', in: 'query', required: false, description, schema, example: '2026-09-01' };
}

const profileResponses = (): JsonObject => ({
  '200': { description: 'The profile.', headers: ETAG_HEADER, content: json('SubscriberProfile') },
  '400': invalid('id: must be 1 to 64 characters', 'id', 'must be 1 to 64 characters (subscriber.v1 subscriberId), URL-encoded'),
  '404': UNKNOWN,
});

const usageResponses = (): JsonObject => ({
  '200': { description: 'The period.', content: json('Usage') },
  '400': invalid('period: must be a date YYYY-MM-DD', 'period', 'must be a date YYYY-MM-DD'),
  '404': UNKNOWN,
});

/**
 * A change of one of the subscriber's own choices (caps, consent, channels): a self-care route and its
 * operator twin, alike but for the operator's reason (and statement) and their examples.
 */
interface ChoiceChangeSpec {
  /** The operation id after its role's prefix (`selfCare` / `operator`). */
  readonly name: string;
  readonly summary: { readonly subscriber: string; readonly operator: string };
  /** Said in both roles, then each role's own ending. */
  readonly description?: { readonly both: string; readonly subscriber: string; readonly operator: string };
  /** The request component of the self-care route (the operator's is `Operator` + it). */
  readonly requestBody: string;
  readonly requestExample: { readonly subscriber: unknown; readonly operator: unknown };
  /** The 200 answer: its description and component. */
  readonly answer: { readonly description: string; readonly component: string };
  readonly invalid: JsonObject;
  /** Whether the change writes the counters (409 under a concurrent writer). */
  readonly countersChange: boolean;
}

function choiceOperation(route: RouteKey, spec: ChoiceChangeSpec): JsonObject {
  const operator = roleOfRoute(route) === 'operator';
  const role = operator ? 'operator' : 'subscriber';
  return operation(route, {
    operationId: `${operator ? 'operator' : 'selfCare'}${spec.name}`,
    summary: spec.summary[role],
    ...(spec.description !== undefined && { description: spec.description.both + spec.description[role] }),
    parameters: [ifMatchParameter],
    requestBody: operator ? `Operator${spec.requestBody}` : spec.requestBody,
    requestExample: spec.requestExample[role],
    responses: {
      '200': { description: spec.answer.description, headers: ETAG_HEADER, content: json(spec.answer.component) },
      '400': spec.invalid,
      '404': UNKNOWN,
      ...(spec.countersChange && { '409': CONCURRENT }),
      '412': PRECONDITION,
    },
  });
}

const CAPS_CHANGE: ChoiceChangeSpec = {
  name: 'PutCaps',
  summary: { subscriber: 'Change my roaming / out-of-bundle spend caps (takes effect at once)', operator: "Change a subscriber's spend caps on their behalf (with a reason)" },
  description: {
    both: "Lowering a limit to or below the spend of the current period bars that data now (with the cap message); raising it above the spend, or opting out, lifts a bar the cap had put in place. Limits above the deployment's maximum (`maxCapLimitMicros`, default EUR 1,000) are refused. An opt-out (`enabled: false`) needs the subscriber's consent statement in `consent` (who, when, channel).",
    subscriber: '',
    operator: ' `reason` is required: it is kept in the audit trail with the change and the caller.',
  },
  requestBody: 'CapsChange',
  requestExample: { subscriber: { roamingCap: { limitMicros: 20_000_000 } }, operator: { roamingCap: { limitMicros: 20_000_000 }, reason: 'subscriber called support (ticket 4711)' } },
  answer: { description: 'The caps in force and the carrier commands started.', component: 'Caps' },
  invalid: { ...CONSENT_REQUIRED, description: "Invalid request (`invalid-request`: a field breaks a rule, a limit above the deployment's maximum), or an opt-out without a consent statement (`consent-required`)." },
  countersChange: true,
};

const CONSENT_CHANGE: ChoiceChangeSpec = {
  name: 'PostConsent',
  summary: { subscriber: 'Continue past the cap for the rest of the billing period (idempotent)', operator: "Record a subscriber's consent to continue past the cap (support)" },
  description: {
    both: 'Lifts the bar (ROAMING_RESUMED message); from then on the charges of the bucket are billable. Kept in the audit trail',
    subscriber: ', with the consent statement when the portal gives one.',
    operator: ' with the consent statement (required: who consented, when, how) and the reason.',
  },
  requestBody: 'ConsentToContinue',
  requestExample: { subscriber: { bucket: 'roaming' }, operator: { bucket: 'roaming', consent: { ...CONSENT_EXAMPLE, who: 'caller verified by PIN', channel: 'voice' }, reason: 'ticket 4712' } },
  answer: { description: 'Consent recorded.', component: 'Consent' },
  invalid: invalid('bucket: must be one of roaming, overage', 'bucket', 'must be one of roaming, overage'),
  countersChange: true,
};

const NOTIFICATIONS_CHANGE: ChoiceChangeSpec = {
  name: 'PutNotifications',
  summary: { subscriber: 'Switch my notification channels on or off (idempotent)', operator: "Switch a subscriber's notification channels on their behalf (with a reason)" },
  requestBody: 'NotificationChannelsChange',
  requestExample: { subscriber: { email: true }, operator: { sms: false, reason: 'subscriber asked by letter for e-mail only' } },
  answer: { description: 'The channels in force.', component: 'NotificationChannels' },
  invalid: invalid('sms: must be true or false', 'sms', 'must be true or false'),
  countersChange: false,
};

function operations(): Record<RouteKey, JsonObject> {
  const msisdn = parameterSchema(msisdnQuerySchema);
  const pseudonym = parameterSchema(pseudonymParameterSchema);
  return {
    'GET /v1/self-care/subscribers/{id}': operation('GET /v1/self-care/subscribers/{id}', {
      operationId: 'selfCareGetSubscriber',
      summary: 'My profile: plan, caps, notification channels',
      responses: profileResponses(),
    }),
    'GET /v1/self-care/subscribers/{id}/usage': operation('GET /v1/self-care/subscribers/{id}/usage', {
      operationId: 'selfCareGetUsage',
      summary: 'My spend against the caps, bars and audit trail of a billing period',
      parameters: [periodParameter()],
      responses: usageResponses(),
    }),
    'PUT /v1/self-care/subscribers/{id}/caps': choiceOperation('PUT /v1/self-care/subscribers/{id}/caps', CAPS_CHANGE),
    'POST /v1/self-care/subscribers/{id}/consent': choiceOperation('POST /v1/self-care/subscribers/{id}/consent', CONSENT_CHANGE),
    'PUT /v1/self-care/subscribers/{id}/notifications': choiceOperation('PUT /v1/self-care/subscribers/{id}/notifications', NOTIFICATIONS_CHANGE),
    'GET /v1/subscribers': operation('GET /v1/subscribers', {
      operationId: 'searchSubscribers',
      summary: 'Find subscribers by MSISDN (support)',
      parameters: [{ name: 'msisdn', in: 'query', required: true, description: msisdn.description, schema: msisdn.schema, example: '+33612345678' }],
      responses: {
        '200': { description: 'The profiles with this number (none: an empty list).', content: json('SubscriberSearch') },
        '400': invalid('msisdn: required: the E.164 number to look for', 'msisdn', 'required: the E.164 number to look for'),
      },
    }),
    'PUT /v1/subscribers/{id}': operation('PUT /v1/subscribers/{id}', {
      operationId: 'putSubscriber',
      summary: 'Create or replace a subscriber profile (provisioning, idempotent)',
      description:
        "The subscriber's own choices (`roamingCap`, `overageCap`, `notifications`) left out of the body are kept as stored (the contract defaults for a new profile). One that differs from the stored value is refused (409 `subscriber-choice`) unless the `Spendcap-Change-Reason` header gives the reason, which is kept in the audit trail; an opt-out is always refused here (400 `consent-required`: PUT .../caps with the consent statement). A changed cap takes effect at once, as with PUT .../caps.",
      parameters: [
        ifMatchParameter,
        { name: 'If-None-Match', in: 'header', required: false, description: '`*`: create only (412 when the subscriber exists).', schema: { type: 'string', enum: ['*'] } },
        {
          name: 'Spendcap-Change-Reason',
          in: 'header',
          required: false,
          description: `Why the profile changes a subscriber-owned choice on their behalf (3 to 500 characters), kept in the audit trail (header \`${CHANGE_REASON_HEADER}\`).`,
          schema: { type: 'string', minLength: 3, maxLength: 500 },
          example: 'subscriber asked by letter for a EUR 20 limit',
        },
      ],
      requestBody: 'SubscriberProfileInput',
      requestExample: { msisdn: '+33612345678', plan: { name: 'Travel 10 GB', dataAllowanceBytes: 10_000_000_000, monthlyFeeMicros: 20_000_000 } },
      responses: {
        '200': { description: 'Replaced (or unchanged).', headers: ETAG_HEADER, content: json('SubscriberProfile') },
        '201': {
          description: 'Created.',
          headers: { ...ETAG_HEADER, Location: { description: 'The new subscriber.', schema: { type: 'string', examples: [`/v1/subscribers/${EXAMPLE_ID}`] } } },
          content: json('SubscriberProfile'),
        },
        '400': invalid('msisdn: must be an E.164 number', 'msisdn', 'must be an E.164 number: + then 7 to 15 digits, the first not 0 (e.g. +33612345678)'),
        '409': problemResponse(
          "A subscriber-owned choice would change without a reason (`subscriber-choice`), or a concurrent update (`concurrent-change`).",
          'subscriber-choice',
          'the profile would change choices the subscriber made: leave them out to keep them, or send the Spendcap-Change-Reason header',
          { errors: [{ path: 'roamingCap.limitMicros', message: "the subscriber's choice is 20000000; leave it out to keep it, or give Spendcap-Change-Reason to change it" }] },
        ),
        '412': PRECONDITION,
      },
    }),
    'GET /v1/subscribers/{id}': operation('GET /v1/subscribers/{id}', {
      operationId: 'getSubscriber',
      summary: 'Read a subscriber profile',
      responses: profileResponses(),
    }),
    'DELETE /v1/subscribers/{id}': operation('DELETE /v1/subscribers/{id}', {
      operationId: 'deleteSubscriber',
      summary: 'Delete a subscriber profile (counters and audit trail stay)',
      parameters: [ifMatchParameter],
      responses: { '204': { description: 'Deleted.' }, '404': UNKNOWN, '412': PRECONDITION },
    }),
    'GET /v1/subscribers/{id}/usage': operation('GET /v1/subscribers/{id}/usage', {
      operationId: 'getUsage',
      summary: 'Spend against the caps, bars and audit trail of a billing period (support)',
      parameters: [periodParameter()],
      responses: usageResponses(),
    }),
    'PUT /v1/subscribers/{id}/caps': choiceOperation('PUT /v1/subscribers/{id}/caps', CAPS_CHANGE),
    'POST /v1/subscribers/{id}/consent': choiceOperation('POST /v1/subscribers/{id}/consent', CONSENT_CHANGE),
    'PUT /v1/subscribers/{id}/notifications': choiceOperation('PUT /v1/subscribers/{id}/notifications', NOTIFICATIONS_CHANGE),
    'POST /v1/subscribers/{id}/last-message/resend': operation('POST /v1/subscribers/{id}/last-message/resend', {
      operationId: 'resendLastMessage',
      summary: 'Send the last message of the billing period again (support)',
      description: 'To the number or address now in the profile, on the same channel; kept in the audit trail as a resend with its reason. Not idempotent: each call sends once more.',
      requestBody: 'ResendLastMessage',
      requestExample: { channel: 'sms', reason: 'subscriber says the cap SMS never arrived' },
      responses: {
        '200': { description: 'Sent again.', content: json('Resent') },
        '400': invalid('reason: required', 'reason', 'required'),
        '404': problemResponse('Unknown subscriber (`unknown-subscriber`), or no message in the current period (`no-message`).', 'no-message', 'no sms message was sent in the current billing period'),
        '409': problemResponse('The channel is switched off or has no address, or the provider refused the message.', 'channel-off', 'the subscriber has no email channel switched on (or no address for it)'),
      },
    }),
    'GET /v1/pseudonyms/{pseudonym}': operation('GET /v1/pseudonyms/{pseudonym}', {
      operationId: 'lookupPseudonym',
      summary: 'The subscriber behind a pseudonym (operations; its own permission)',
      parameters: [{ name: 'pseudonym', in: 'path', required: true, description: pseudonym.description, schema: pseudonym.schema, example: 'sub-3f9a0c5e1b2d4c6f' }],
      responses: {
        '200': { description: 'The subscriber ids with this pseudonym.', content: json('PseudonymLookup') },
        '400': invalid('pseudonym: must be a pseudonym: sub- and 16 hex digits', 'pseudonym', 'must be a pseudonym: sub- and 16 hex digits'),
        '404': problemResponse('No profile has this pseudonym.', 'unknown-pseudonym', 'no profile has this pseudonym'),
      },
    }),
  };
}

function paths(): JsonObject {
  const byPath: Record<string, JsonObject> = {};
  const ops = operations();
  for (const { key } of ROUTES) {
    const [method, path] = key.split(' ') as [string, string];
    const item = (byPath[path] ??= path.includes('{id}') ? { parameters: [subscriberIdParameter] } : {});
    const op = { ...ops[key] };
    const responses = op.responses as JsonObject;
    // Every path answers 405 with Allow for the methods it does not serve: documented once per operation.
    op.responses = { ...responses, '405': METHOD_NOT_ALLOWED };
    item[method.toLowerCase()] = op;
  }
  return byPath;
}

export function buildOpenApiDocument(): JsonObject {
  const requests = components(REQUEST_COMPONENTS, 'input');
  const responses = components(RESPONSE_COMPONENTS, 'output');
  return {
    openapi: '3.1.0',
    info: {
      title: 'spendcap API',
      version: '1.0.0',
      summary: 'Spend caps per subscriber: self-care, operator and pseudonym lookup routes.',
      description:
        "Subscriber profiles, spend caps, consent to continue past a cap, notification channels, usage and the audit trail of a billing period. Three roles, each with its own routes and IAM policy: the subscriber-facing self-care backend (`/v1/self-care/...`), the operator's provisioning and support systems (`/v1/subscribers...`) and the pseudonym lookup (`/v1/pseudonyms/...`). Every route requires IAM authorization (SigV4). Every mutable resource is the subscriber: its ETag is the profile's revision, and every change accepts If-Match (412 when stale). Errors are RFC 9457 problem details with a stable `type`. Money is integer micro-units (EUR 1 = 1000000), excluding VAT. See docs/api.md.",
      license: { name: 'Apache 2.0', identifier: 'Apache-2.0' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: 'The deployment (stack output SelfCareApiUrl).',
        variables: {
          apiId: { default: 'abcdef1234', description: 'The HTTP API id (first label of SelfCareApiUrl).' },
          region: { default: 'eu-west-3', description: 'The AWS region of the stack.' },
        },
      },
      { url: 'http://127.0.0.1:3000', description: 'The local runtime (`npm start -- --follow`): every role, no authorization.' },
    ],
    security: [{ sigv4: [] }],
    tags: Object.values(TAGS),
    paths: paths(),
    components: {
      schemas: { ...responses, ...requests },
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4 (API Gateway IAM authorization): the caller needs execute-api:Invoke on the route, which each role`s managed policy grants.',
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
