// Types of api.js for the TypeScript tests (the console itself is plain JavaScript, served as is).
export interface Route {
  readonly method: string;
  readonly path: string;
}
export declare const ROUTES: Readonly<Record<'search' | 'profile' | 'usage' | 'consent' | 'caps' | 'resend', Route>>;
export declare class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Record<string, unknown>;
}
type Fetch = (url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }) => Promise<{
  ok: boolean;
  status: number;
  text(): Promise<string>;
  headers: { get(name: string): string | null };
}>;
export interface ConsoleClient {
  readonly routes: Readonly<Record<string, Route>>;
  has(name: string): boolean;
  searchByPhone(msisdn: string): Promise<Array<{ subscriberId: string }>>;
  profile(id: string): Promise<{ body: Record<string, unknown>; etag: string | null }>;
  usage(id: string, period?: string): Promise<Record<string, unknown>>;
  recordConsent(id: string, consent: { bucket: string; who: string; channel: string; reason: string; at?: Date }, etag?: string | null): Promise<unknown>;
  changeLimit(id: string, change: { bucket: string; limitMicros: number; reason: string }, etag?: string | null): Promise<unknown>;
  resendLast(id: string, resend: { channel?: string; reason: string }): Promise<unknown>;
}
export declare function createClient(base?: string, fetchImpl?: Fetch, routes?: Readonly<Record<string, Route>>): ConsoleClient;
export declare function connect(base?: string, fetchImpl?: Fetch): Promise<ConsoleClient>;
export declare function eur(micros: number): string;
export declare function microsOf(text: string): number | undefined;
export declare function previousPeriod(start: string, cycleDay: number): string;
