/**
 * Starting a built Lambda bundle the way the Lambda runtime does, in a fresh Node.js process and without AWS:
 * the function's deployed environment (CloudFormation references replaced by plausible names and ARNs),
 * the variables the runtime sets, `NODE_OPTIONS=--enable-source-maps` as deployed, and every AWS endpoint
 * on a closed local port so that nothing can reach AWS. Then one invocation with a probe event that needs
 * no AWS call (an empty batch, an unknown route, an invalid task input), which builds the lazily created
 * production handler: configuration parsed, SDK clients and adapters constructed.
 *
 * Used by the bundle test (every bundle starts) and the start-up benchmark (bench/cold-start.ts).
 */
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../infra/bundling/lambda-bundle.js';
import type { DeployedFunction } from './lambda-bundles.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-3';
/** Nothing listens there: a request that slipped through fails at once instead of reaching AWS. */
const CLOSED_ENDPOINT = 'http://127.0.0.1:9';

export interface Probe {
  readonly description: string;
  /** The handler's argument; `undefined` for a handler called without one. */
  readonly event: unknown;
  /** What the probe gets back once the production handler is built: `answered`, or the error it throws. */
  readonly expected: RegExp;
}

const EMPTY_BATCH: Probe = { description: 'an empty batch (no records)', event: { Records: [] }, expected: /^answered$/ };
const INVALID_TASK_INPUT: Probe = { description: 'a task input that fails validation (before any AWS call)', event: {}, expected: /^TypeError: [a-z-]+: invalid input: / };
const UNKNOWN_SBI_ROUTE: Probe = {
  description: 'an ALB request for an unknown path (404)',
  expected: /^answered$/,
  event: { httpMethod: 'GET', path: '/probe/unknown', headers: {}, queryStringParameters: {}, body: '', isBase64Encoded: false, requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-3:123456789012:targetgroup/probe/0' } } },
};

/** A probe per handler that builds the production handler and needs no AWS call where the handler allows it. */
const PROBES: Readonly<Record<string, Probe>> = {
  api: {
    description: 'PUT /subscribers/{id}/caps with an invalid body (400, validation only)',
    expected: /^answered$/,
    event: { rawPath: '/subscribers/probe/caps', body: '{"roaming":{"limitMicros":-1}}', isBase64Encoded: false, requestContext: { http: { method: 'PUT' } } },
  },
  'self-care-api': {
    description: 'PUT /v1/self-care/subscribers/{id}/caps with an invalid body (400, validation only)',
    expected: /^answered$/,
    event: { rawPath: '/v1/self-care/subscribers/probe/caps', body: '{"roamingCap":{"limitMicros":-1}}', isBase64Encoded: false, requestContext: { http: { method: 'PUT' } } },
  },
  'email-mailer': EMPTY_BATCH,
  'inbound-sms': EMPTY_BATCH,
  'ingest-events': EMPTY_BATCH,
  'ingest-feed-files': EMPTY_BATCH,
  'nchf-charging': UNKNOWN_SBI_ROUTE,
  'nchf-spending-limit': UNKNOWN_SBI_ROUTE,
  'nchf-notify': EMPTY_BATCH,
  'nchf-subscriber-removed': EMPTY_BATCH,
  'policy-plan': INVALID_TASK_INPUT,
  'policy-notify': INVALID_TASK_INPUT,
  'policy-report-failure': INVALID_TASK_INPUT,
  'reconcile-line': INVALID_TASK_INPUT,
  'redrive-quarantine': { description: 'an operator request that fails validation (before any AWS call)', event: { dryRun: 'yes' }, expected: /^Error: redrive request: dryRun: / },
  'sweep-bars': { description: 'the scheduled sweep: one DynamoDB query, refused by the closed local endpoint', event: undefined, expected: /ECONNREFUSED/ },
};

/** The probe of a function folder (a task input that fails validation for a handler not listed). */
export function probeOf(functionDir: string): Probe {
  return PROBES[functionDir] ?? INVALID_TASK_INPUT;
}

/** Runs in the fresh process: import the bundle, call the handler once, print the timings. */
const CHILD_SOURCE = `
const { performance } = await import('node:perf_hooks');
const { pathToFileURL } = await import('node:url');
const bundle = process.env.SPENDCAP_BENCH_BUNDLE;
const eventJson = process.env.SPENDCAP_BENCH_EVENT;
const sdk = JSON.parse(process.env.SPENDCAP_BENCH_AWS_SDK);
const event = eventJson === '' ? undefined : JSON.parse(eventJson);
const context = { functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, awsRequestId: 'probe-1', getRemainingTimeInMillis: () => 30000, callbackWaitsForEmptyEventLoop: false };
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
// A stand-in Secrets Manager for the pseudonym key, which functions read before their first answer: every
// other AWS endpoint stays closed, so the probe still shows that nothing else is called.
if (process.env.PSEUDONYM_KEY_SECRET_ARN) {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ ARN: process.env.PSEUDONYM_KEY_SECRET_ARN, Name: 'probe', SecretString: 'probe-pseudonym-key-0123456789abcdef' }));
    });
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  server.unref();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = 'http://127.0.0.1:' + server.address().port;
}
const ts = performance.now();
for (const name of sdk) await import(name);
const t0 = performance.now();
const c0 = cpuMs();
const mod = await import(pathToFileURL(bundle).href);
const t1 = performance.now();
const c1 = cpuMs();
let outcome = 'answered';
try {
  await mod.handler(event, context);
} catch (e) {
  outcome = (e && e.name ? e.name + ': ' : '') + String(e && e.message !== undefined ? e.message : e).slice(0, 160);
}
const t2 = performance.now();
const c2 = cpuMs();
process.stdout.write('\\nSPENDCAP_COLD_START ' + JSON.stringify({ awsSdkImportMs: t0 - ts, bundleImportMs: t1 - t0, bundleImportCpuMs: c1 - c0, firstInvocationMs: t2 - t1, firstInvocationCpuMs: c2 - c1, outcome }) + '\\n');
process.exit(0);
`;

/** What the Lambda runtime sets for a function (Node.js 22, 512 MB, active tracing), with fake credentials. */
export function runtimeEnvironment(functionDir: string): Record<string, string> {
  return {
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'AKIAPROBEPROBEPROBE0',
    AWS_SECRET_ACCESS_KEY: 'probe-secret-access-key-not-a-real-one',
    AWS_SESSION_TOKEN: 'probe-session-token',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: `spendcap-${functionDir}`,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/spendcap-${functionDir}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    _HANDLER: 'index.handler',
    // Active tracing: the X-Ray SDK runs in its automatic mode, as in Lambda.
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    AWS_ENDPOINT_URL: CLOSED_ENDPOINT,
    AWS_MAX_ATTEMPTS: '1',
    // Node.js 20 here, 22 in Lambda: the SDK's warning about it would only add noise.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

function logicalIdOf(reference: unknown): string {
  if (typeof reference === 'object' && reference !== null) {
    const r = reference as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
    if (typeof r.Ref === 'string') return r.Ref;
    if (Array.isArray(r['Fn::GetAtt']) && typeof r['Fn::GetAtt'][0] === 'string') return r['Fn::GetAtt'][0];
  }
  return 'Probe';
}

/** A plausible deployed value for a variable whose value CloudFormation fills in (a name, a queue URL, an ARN). */
export function fakeValueOf(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  const id = logicalIdOf(value);
  if (name.endsWith('_URL')) return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${id}`;
  if (name.endsWith('_ARN')) {
    if (name.includes('STATE_MACHINE')) return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${id}`;
    if (name.includes('TOPIC')) return `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`;
    if (name.includes('STREAM')) return `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${id}`;
    if (name.includes('ROLE')) return `arn:aws:iam::${ACCOUNT}:role/${id}`;
    if (name.includes('SECRET')) return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${id}`;
    if (name.includes('DEAD_LETTER') || name.includes('QUEUE')) return `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`;
    return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
  }
  return id;
}

/** The function's deployed environment, references replaced by plausible values. */
export function deployedEnvironment(fn: DeployedFunction): Record<string, string> {
  return Object.fromEntries(Object.entries(fn.environment).map(([name, value]) => [name, fakeValueOf(name, value)]));
}

export interface StartFigures {
  readonly awsSdkImportMs: number;
  readonly bundleImportMs: number;
  readonly bundleImportCpuMs: number;
  readonly firstInvocationMs: number;
  readonly firstInvocationCpuMs: number;
  readonly outcome: string;
}

/**
 * Loads `bundle` (an index.mjs) in a fresh Node.js process with `env` as its whole environment (plus PATH):
 * imports the `awsSdk` packages first, then the bundle, then calls its handler once with `event`.
 */
export function startInFreshProcess(bundle: string, awsSdk: readonly string[], env: Record<string, string>, event: unknown): Promise<StartFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '--eval', CHILD_SOURCE], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env, SPENDCAP_BENCH_BUNDLE: bundle, SPENDCAP_BENCH_AWS_SDK: JSON.stringify(awsSdk), SPENDCAP_BENCH_EVENT: event === undefined ? '' : JSON.stringify(event) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('SPENDCAP_COLD_START '));
      if (line === undefined) {
        reject(new Error(`cold start of ${bundle}: exit ${code}, no figures; stderr: ${stderr.slice(0, 500)}`));
        return;
      }
      resolve(JSON.parse(line.slice('SPENDCAP_COLD_START '.length)) as StartFigures);
    });
  });
}
