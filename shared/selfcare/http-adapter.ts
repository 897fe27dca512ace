/**
 * Serves the API handler on a plain node:http server, for the local runtime (`npm start -- --follow`) and
 * curl: each request becomes the HTTP API payload 2.0 event that API Gateway would hand the function, and the
 * function's result becomes the response. No authorization locally (IAM is AWS's job, and one local server
 * answers every role's routes): the server listens on the loopback interface only by default.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { problem, type ApiRequest, type ApiResponse } from './api.js';

export type ApiRequestHandler = (event: ApiRequest) => Promise<ApiResponse>;

/** API Gateway's own limit on a request body. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export function toApiRequest(method: string, url: string, body: string, headers: Readonly<Record<string, string | string[] | undefined>> = {}): ApiRequest {
  const parsed = new URL(url, 'http://localhost');
  const query: Record<string, string> = {};
  // API Gateway joins repeated parameters (and headers) with commas, and hands header names in lower case.
  for (const [name, value] of parsed.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const lowered: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) lowered[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  return {
    rawPath: parsed.pathname,
    ...(body === '' ? {} : { body }),
    isBase64Encoded: false,
    ...(Object.keys(lowered).length > 0 ? { headers: lowered } : {}),
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: { http: { method: method.toUpperCase() } },
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, result: ApiResponse): void {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  const body = result.body === undefined ? undefined : result.isBase64Encoded === true ? Buffer.from(result.body, 'base64') : result.body;
  response.writeHead(result.statusCode, headers);
  response.end(body);
}

/** A node:http request listener that answers through the handler. */
export function apiRequestListener(handle: ApiRequestHandler): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    readBody(request)
      .then((body) => handle(toApiRequest(request.method ?? 'GET', request.url ?? '/', body, request.headers)))
      .then((result) => send(response, result))
      .catch(() => {
        // The handler maps every expected failure itself: this is a broken connection or an oversized body.
        if (!response.headersSent) send(response, problem('internal-error', 'the request could not be read'));
        else response.destroy();
      });
  };
}

export interface LocalApiServer {
  /** Base URL, e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Starts the server. `port` 0 (default) lets the OS choose. */
export async function startApiServer(handle: ApiRequestHandler, options: { readonly port?: number; readonly host?: string } = {}): Promise<LocalApiServer> {
  const server = createServer(apiRequestListener(handle));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
