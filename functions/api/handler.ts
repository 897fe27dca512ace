/**
 * The operator API (API Gateway HTTP API, payload 2.0, IAM authorization on every route): profile lifecycle,
 * support on any subscriber (usage, caps, consent, channels, resend) and the pseudonym lookup, for the MVNO's
 * provisioning and support systems. Routing, problem details and ETags in shared/selfcare/api.ts, the use
 * cases in shared/selfcare/use-cases.ts. The subscriber-facing routes are another function's
 * (functions/self-care-api/handler.ts), with narrower access to the tables.
 *
 * `createHandler` serves every role unless told otherwise: that is what the local server mounts (no IAM
 * locally, shared/selfcare/http-adapter.ts).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { settingsFromEnv } from '../../shared/config/settings.js';
import { logger, observed, type LambdaHandler } from '../../shared/observability.js';
import { loadPseudonymKey } from '../../shared/privacy/pseudonym-key.js';
import { handleApiRequest, type ApiObserver, type ApiOptions, type ApiRequest, type ApiResponse, type ApiRole } from '../../shared/selfcare/api.js';
import { productionSelfCare, selfCareConfigFromEnv } from '../../shared/selfcare/config.js';
import { SelfCare, type SelfCareDeps } from '../../shared/selfcare/use-cases.js';
import { tracer, traced } from '../../shared/tracing.js';

export type ApiHandlerDeps = SelfCareDeps;
export type ApiHandler = (event: APIGatewayProxyEventV2 | ApiRequest) => Promise<ApiResponse>;

/** The roles the operator function serves. */
export const OPERATOR_ROLES: readonly ApiRole[] = ['operator', 'pseudonymLookup'];

/**
 * Route, status and the subscriber's pseudonym only: paths carry subscriber ids, bodies carry MSISDNs and
 * e-mail addresses; an error's message has had the subscriber id replaced by the pseudonym.
 */
export const logObserver: ApiObserver = {
  answered(route, statusCode, error, subscriber) {
    const fields = { route, statusCode, ...(subscriber !== undefined && { subscriber }) };
    if (statusCode >= 500) {
      logger.error('request failed', { ...fields, error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
    } else {
      logger.info('request answered', fields);
    }
  },
};

export function createHandler(deps: ApiHandlerDeps | SelfCare, options: ApiOptions = {}): ApiHandler {
  const selfCare = deps instanceof SelfCare ? deps : new SelfCare(deps);
  const observer = options.observer ?? logObserver;
  return (event) => handleApiRequest(selfCare, event, { ...options, observer });
}

let production: ApiHandler | undefined;

export const handler: LambdaHandler<APIGatewayProxyEventV2, ApiResponse> = observed(
  traced(async (event) => {
    // The deployment's pseudonym key, read once per container before the first pseudonym is computed.
    await loadPseudonymKey();
    if (production === undefined) {
      const config = selfCareConfigFromEnv(process.env, { messages: true });
      production = createHandler(productionSelfCare(config, settingsFromEnv(process.env), (client) => tracer.captureAWSv3Client(client)), { roles: OPERATOR_ROLES });
    }
    return production(event);
  }),
);
