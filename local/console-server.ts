/**
 * Serves the support console (local/console/: plain HTML, CSS and ES modules) in follow mode, and passes
 * every other request to the local self-care/admin API, so the page talks to the API on its own origin
 * (no CORS to configure). In AWS the same files can be served as static files in front of the API.
 */
import { readFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'console');
const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export interface ConsoleServer {
  /** The console's address, e.g. http://127.0.0.1:3002/console/ */
  readonly url: string;
  close(): Promise<void>;
}

async function serveFile(path: string, response: ServerResponse): Promise<void> {
  const name = path === '/console/' || path === '/console' ? 'index.html' : path.slice('/console/'.length);
  const file = normalize(join(CONSOLE_DIR, name));
  // Only files of the console's folder, never a path that climbs out of it.
  if (!file.startsWith(`${CONSOLE_DIR}${sep}`) || TYPES[extname(file)] === undefined) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  try {
    const body = await readFile(file);
    response.writeHead(200, { 'content-type': TYPES[extname(file)]!, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(body);
  } catch {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
}

function proxy(apiUrl: URL, request: IncomingMessage, response: ServerResponse): void {
  const upstream = httpRequest(
    { host: apiUrl.hostname, port: apiUrl.port, method: request.method, path: request.url, headers: { ...request.headers, host: apiUrl.host } },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  upstream.on('error', () => {
    if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/problem+json' });
    response.end(JSON.stringify({ title: 'The API did not answer', status: 502 }));
  });
  request.pipe(upstream);
}

export interface ConsoleServerOptions {
  readonly port: number;
  readonly apiUrl: string;
  readonly host?: string;
  /** The API's clock: locally the events' virtual time, which the page needs to date a consent. */
  readonly now?: () => Date;
}

export function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const apiUrl = new URL(options.apiUrl);
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/' && request.method === 'GET') {
      response.writeHead(302, { location: '/console/' }).end();
      return;
    }
    if (path === '/console/now.json' && options.now !== undefined) {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ now: options.now().toISOString() }));
      return;
    }
    if (path === '/console' || path.startsWith('/console/')) {
      void serveFile(path, response);
      return;
    }
    proxy(apiUrl, request, response);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/console/`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
