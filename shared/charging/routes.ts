/**
 * The Nchf_ConvergedCharging resources (TS 32.291 V16.7.0, API v3): create, update and release of a charging
 * data resource. The same routes serve the Lambda function behind the load balancer and the local h2c server.
 */
import type { Route, SbiRequest } from '../sbi/http.js';
import { parseBody } from '../sbi/http.js';
import type { ConvergedCharging } from './converged-charging.js';
import { API_ROOT_PATH, chargingDataRequest } from './schemas.js';

export const CHARGING_SCOPE = 'nchf-convergedcharging';

const base = API_ROOT_PATH.replace(/\//g, '\\/');

export function chargingRoutes(charging: Pick<ConvergedCharging, 'create' | 'update' | 'release'>): Route[] {
  const body = (request: SbiRequest) => parseBody(request, chargingDataRequest);
  return [
    { method: 'POST', pattern: new RegExp(`^${base}\\/chargingdata$`), handle: (request) => charging.create(body(request)) },
    {
      method: 'POST',
      pattern: new RegExp(`^${base}\\/chargingdata\\/(?<ref>[^/]+)\\/update$`),
      handle: (request, params) => charging.update(params.ref ?? '', body(request)),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${base}\\/chargingdata\\/(?<ref>[^/]+)\\/release$`),
      handle: (request, params) => charging.release(params.ref ?? '', body(request)),
    },
  ];
}
