/**
 * The Powertools tracer, for the functions that trace their AWS SDK calls (X-Ray subsegments per request).
 *
 * Kept apart from shared/observability.ts on purpose: the tracer loads the X-Ray SDK (about 115 KB of
 * bundled JavaScript with its dependencies) and, in its default automatic mode, an async hook that follows
 * every promise. A function that imports only the logger and metrics pays for neither; Lambda's active
 * tracing still records its invocation segments without the SDK.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME, type LambdaHandler } from './observability.js';

export const tracer = new Tracer({ serviceName: SERVICE_NAME });

/**
 * Powertools' `captureLambdaHandler`, as its middleware does it (without middy): each invocation in a
 * `## <handler>` subsegment annotated with ColdStart and Service, a thrown error recorded on it. The
 * response is not recorded (the middleware's default): task outputs carry subscriber ids and phone numbers.
 * Outside Lambda, or with tracing off, the handler runs as it is.
 */
export function traced<E, R>(handler: LambdaHandler<E, R>): LambdaHandler<E, R> {
  return async (event, context) => {
    const segment = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
    if (segment === undefined) return handler(event, context);
    const subsegment = segment.addNewSubsegment(`## ${process.env._HANDLER ?? 'handler'}`);
    tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      return await handler(event, context);
    } catch (e: unknown) {
      tracer.addErrorAsMetadata(e instanceof Error ? e : new Error(String(e)));
      throw e;
    } finally {
      subsegment.close();
      tracer.setSegment(segment);
    }
  };
}
