/**
 * One service-based interface endpoint: authorization under the deployment's mode, then the routes, with
 * every failure as problem details. The Lambda handlers and the local h2c server both serve through it.
 */
import type { SbiAuthMode } from '../config/realtime-settings.js';
import { authorize, bearerChallenge } from './authorization.js';
import { dispatch, problemResponse, SbiError, type Route, type SbiLog, type SbiRequest, type SbiResponse } from './http.js';

export type SbiService = (request: SbiRequest) => Promise<SbiResponse>;

export function sbiService(routes: readonly Route[], options: { readonly auth: SbiAuthMode; readonly scope: string; readonly log?: SbiLog }): SbiService {
  return async (request) => {
    try {
      authorize(request, options.auth, options.scope);
    } catch (e: unknown) {
      if (e instanceof SbiError) return problemResponse(e, options.auth === 'oauth2' ? bearerChallenge(e.status, options.scope) : {});
      throw e;
    }
    return dispatch(routes, request, options.log);
  };
}
