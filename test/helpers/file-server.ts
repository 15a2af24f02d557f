// A real HTTP server on 127.0.0.1 serving one file the way a CDN does (single byte ranges, 206 +
// Content-Range), with switches for the failures a download must survive or report.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';

export interface FileServerOptions {
  /** The bytes served at /model.safetensors (or a path to read them from). */
  file: string | Uint8Array;
  /** Honour `Range: bytes=a-b` with 206 (default true); false answers every request with 200 + the whole file. */
  ranges?: boolean;
  /** Redirect hops before the file: /model.safetensors → /hop/1 → … → /cdn/model.safetensors. */
  redirects?: number;
  /** Destroy the socket after sending this many body bytes of any response longer than that. */
  cutAfterBytes?: number;
  /** Stop sending (socket left open) after this many body bytes of any response longer than that. */
  stallAfterBytes?: number;
  /** Answer every request with this status and a short body. */
  status?: number;
}

export interface SeenRequest {
  path: string;
  range: string | undefined;
  acceptEncoding: string | undefined;
  status: number;
  bodyBytes: number;
}

export interface FileServer {
  /** URL of the file (before any redirect). */
  url: string;
  requests: SeenRequest[];
  /** Body bytes written by the server, over all requests. */
  bytesSent(): number;
  size: number;
  close(): Promise<void>;
}

export async function startFileServer(opts: FileServerOptions): Promise<FileServer> {
  const data = typeof opts.file === 'string' ? new Uint8Array(await readFile(opts.file)) : opts.file;
  const requests: SeenRequest[] = [];
  const redirects = opts.redirects ?? 0;

  const sendBody = (res: ServerResponse, body: Uint8Array, seen: SeenRequest): void => {
    const limit = opts.cutAfterBytes ?? opts.stallAfterBytes;
    if (limit === undefined || body.byteLength <= limit) {
      seen.bodyBytes = body.byteLength;
      res.end(body);
      return;
    }
    seen.bodyBytes = limit;
    res.write(body.subarray(0, limit), () => {
      // Only the cut destroys the socket; a stall keeps it open until the server closes.
      if (opts.cutAfterBytes !== undefined) res.socket?.destroy();
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? '/';
    const range = req.headers.range;
    const seen: SeenRequest = { path, range, acceptEncoding: req.headers['accept-encoding'], status: 0, bodyBytes: 0 };
    requests.push(seen);
    if (opts.status !== undefined) {
      seen.status = opts.status;
      res.writeHead(opts.status, { 'content-type': 'text/plain' });
      res.end('nope');
      return;
    }
    const hop = path === '/model.safetensors' ? 0 : path.startsWith('/hop/') ? Number(path.slice(5)) : undefined;
    if (hop !== undefined && hop < redirects) {
      seen.status = 302;
      // Alternate absolute and relative Locations, as real CDNs use both.
      const next = hop + 1 < redirects ? `/hop/${hop + 1}` : '/cdn/model.safetensors';
      res.writeHead(302, { location: hop % 2 === 0 ? `http://${req.headers.host}${next}` : next });
      res.end();
      return;
    }
    if (path !== '/cdn/model.safetensors' && !(redirects === 0 && path === '/model.safetensors')) {
      seen.status = 404;
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=(\d+)-(\d*)$/.exec(range ?? '');
    if (opts.ranges === false || !m) {
      seen.status = 200;
      res.writeHead(200, { 'content-length': data.byteLength, 'accept-ranges': opts.ranges === false ? 'none' : 'bytes' });
      sendBody(res, data, seen);
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(m[2] === '' ? data.byteLength - 1 : Number(m[2]), data.byteLength - 1);
    if (start > end) {
      seen.status = 416;
      res.writeHead(416, { 'content-range': `bytes */${data.byteLength}` }).end();
      return;
    }
    seen.status = 206;
    res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${data.byteLength}`, 'content-length': end - start + 1 });
    sendBody(res, data.subarray(start, end + 1), seen);
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/model.safetensors`,
    requests,
    bytesSent: () => requests.reduce((s, r) => s + r.bodyBytes, 0),
    size: data.byteLength,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on 127.0.0.1 where nothing listens (a port just released). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/model.safetensors`;
}
