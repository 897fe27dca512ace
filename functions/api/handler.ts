/**
 * Self-care and admin HTTP API (API Gateway HTTP API, payload 2.0, IAM authorization on every route):
 * routing and error mapping in shared/selfcare/api.ts, the use cases in shared/selfcare/use-cases.ts.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { settingsFromEnv } from '../../shared/config/settings.js';
import { logger } from '../../shared/observability.js';
import { handleApiRequest, type ApiObserver, type ApiRequest, type ApiResponse } from '../../shared/selfcare/api.js';
import { productionSelfCare, selfCareConfigFromEnv } from '../../shared/selfcare/config.js';
import { SelfCare, type SelfCareDeps } from '../../shared/selfcare/use-cases.js';

export type ApiHandlerDeps = SelfCareDeps;
export type ApiHandler = (event: APIGatewayProxyEventV2 | ApiRequest) => Promise<ApiResponse>;

/** Route and status only: paths carry subscriber ids, bodies carry MSISDNs and e-mail addresses. */
const logObserver: ApiObserver = {
  answered(route, statusCode, error) {
    if (statusCode >= 500) {
      logger.error('request failed', { route, statusCode, error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
    } else {
      logger.info('request answered', { route, statusCode });
    }
  },
};

export function createHandler(deps: ApiHandlerDeps | SelfCare, observer: ApiObserver = logObserver): ApiHandler {
  const selfCare = deps instanceof SelfCare ? deps : new SelfCare(deps);
  return (event) => handleApiRequest(selfCare, event, observer);
}

let production: ApiHandler | undefined;

export const handler = async (event: APIGatewayProxyEventV2): Promise<ApiResponse> => {
  production ??= createHandler(productionSelfCare(selfCareConfigFromEnv(process.env), settingsFromEnv(process.env)));
  return production(event);
};
