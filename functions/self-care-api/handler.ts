/**
 * The self-care API function: the routes the MVNO's subscriber-facing portal backend calls on behalf of a
 * signed-in subscriber (`/v1/self-care/...`: own usage and audit trail, own limit within the deployment's
 * bounds, opt-out/in with a consent statement, consent to continue, notification choices). It answers no
 * operator route, and its role may not delete a profile, search the indexes or write any attribute of a
 * profile other than the subscriber's own choices (infra/constructs/self-care-api.ts).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { settingsFromEnv } from '../../shared/config/settings.js';
import { loadPseudonymKey } from '../../shared/privacy/pseudonym-key.js';
import type { ApiResponse, ApiRole } from '../../shared/selfcare/api.js';
import { productionSelfCare, selfCareConfigFromEnv } from '../../shared/selfcare/config.js';
import { createHandler, type ApiHandler } from '../api/handler.js';
import { observed, type LambdaHandler } from '../../shared/observability.js';
import { tracer, traced } from '../../shared/tracing.js';

export const SELF_CARE_ROLES: readonly ApiRole[] = ['subscriber'];

let production: ApiHandler | undefined;

export const handler: LambdaHandler<APIGatewayProxyEventV2, ApiResponse> = observed(
  traced(async (event) => {
    // The deployment's pseudonym key, read once per container before the first pseudonym is computed.
    await loadPseudonymKey();
    if (production === undefined) {
      const config = selfCareConfigFromEnv(process.env);
      production = createHandler(productionSelfCare(config, settingsFromEnv(process.env), (client) => tracer.captureAWSv3Client(client)), { roles: SELF_CARE_ROLES });
    }
    return production(event);
  }),
);
