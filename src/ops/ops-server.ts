// The operations endpoints of a long-running process (the bot; `npm run worker` later), on their
// own port so they are never exposed with a chat webhook: /healthz (liveness), /readyz (can do its
// job) and /metrics (Prometheus text, through prom-client).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { logger } from '../log.ts';
import type { StylizeMetrics } from './metrics.ts';

export interface OpsServerOptions {
  port: number;
  host: string;
  metrics: StylizeMetrics;
  /** Why the process cannot do its job now (one line), or undefined when it can. */
  notReady(): string | undefined;
  /** A loop that has not ticked for this long is reported unhealthy even if it answers now (default 5 s). */
  stallMs?: number;
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

const HEARTBEAT_MS = 500;

/** STYLIZE_METRICS_PORT (unset: off) and STYLIZE_METRICS_HOST (default 127.0.0.1). */
export function opsAddressFromEnv(env: NodeJS.ProcessEnv): { port: number; host: string } | undefined {
  const raw = env.STYLIZE_METRICS_PORT?.trim();
  if (!raw) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`STYLIZE_METRICS_PORT: got ${JSON.stringify(raw)}, expected a port number from 0 to 65535`);
  return { port, host: env.STYLIZE_METRICS_HOST?.trim() || '127.0.0.1' };
}

export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const stallMs = opts.stallMs ?? 5000;
  // A handler only runs when the loop is free, so it also checks that the loop has not been stuck
  // just before (a long synchronous stretch that happened to end as the probe came in).
  let lastBeat = performance.now();
  let worstGapMs = 0;
  const heartbeat = setInterval(() => {
    const now = performance.now();
    worstGapMs = Math.max(worstGapMs, now - lastBeat - HEARTBEAT_MS);
    lastBeat = now;
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const send = (res: http.ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };

  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
    if (url === '/healthz') {
      const gap = Math.max(worstGapMs, performance.now() - lastBeat - HEARTBEAT_MS);
      worstGapMs = 0;
      if (gap > stallMs) return send(res, 503, 'application/json', JSON.stringify({ status: 'stalled', reason: `the event loop was blocked for ${Math.round(gap)} ms` }) + '\n');
      return send(res, 200, 'application/json', '{"status":"ok"}\n');
    }
    if (url === '/readyz') {
      let reason: string | undefined;
      try {
        reason = opts.notReady();
      } catch (e) {
        reason = `readiness check failed: ${(e as Error).message.split('\n')[0]}`;
      }
      if (reason) return send(res, 503, 'application/json', JSON.stringify({ status: 'not ready', reason }) + '\n');
      return send(res, 200, 'application/json', '{"status":"ready"}\n');
    }
    if (url === '/metrics') {
      opts.metrics.registry.metrics().then(
        (text) => send(res, 200, opts.metrics.registry.contentType, text),
        (e: unknown) => send(res, 500, 'text/plain', `metrics failed: ${(e as Error).message}\n`),
      );
      return;
    }
    send(res, 404, 'text/plain', 'not found: try /healthz, /readyz or /metrics\n');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: Error) => {
    clearInterval(heartbeat);
    throw new Error(`cannot listen on ${opts.host}:${opts.port} for /metrics (STYLIZE_METRICS_PORT): ${e.message}`);
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ host: opts.host, port }, 'health and metrics endpoints listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
