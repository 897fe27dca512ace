/**
 * The Nchf_SpendingLimitControl resources (TS 29.594 V17.0.0, API v1): subscribe, modify, unsubscribe.
 */
import type { Route, SbiRequest } from '../sbi/http.js';
import { parseBody } from '../sbi/http.js';
import { API_ROOT_PATH, spendingLimitContext } from './schemas.js';
import type { SpendingLimitControl } from './spending-limit-control.js';

export const SPENDING_LIMIT_SCOPE = 'nchf-spendinglimitcontrol';

const base = API_ROOT_PATH.replace(/\//g, '\\/');

export function spendingLimitRoutes(control: Pick<SpendingLimitControl, 'subscribe' | 'modify' | 'unsubscribe'>): Route[] {
  const body = (request: SbiRequest) => parseBody(request, spendingLimitContext);
  const one = new RegExp(`^${base}\\/subscriptions\\/(?<id>[^/]+)$`);
  return [
    { method: 'POST', pattern: new RegExp(`^${base}\\/subscriptions$`), handle: (request) => control.subscribe(body(request)) },
    { method: 'PUT', pattern: one, handle: (request, params) => control.modify(params.id ?? '', body(request)) },
    { method: 'DELETE', pattern: one, handle: (_request, params) => control.unsubscribe(params.id ?? '') },
  ];
}
