/**
 * The Powertools tracer, for the functions that trace their AWS SDK calls (X-Ray subsegments per request).
 *
 * Kept apart from shared/observability.ts on purpose: the tracer loads the X-Ray SDK (about 115 KB of
 * bundled JavaScript with its dependencies) and, in its default automatic mode, an async hook that follows
 * every promise. A function that imports only the logger and metrics pays for neither; Lambda's active
 * tracing still records its invocation segments without the SDK.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from './observability.js';

export const tracer = new Tracer({ serviceName: SERVICE_NAME });
