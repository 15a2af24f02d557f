// The operations server on its own: liveness notices a blocked event loop, readiness answers 503
// with the reason it is given, /metrics is prom-client's text with the right content type.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StylizeMetrics } from '../../src/ops/metrics.ts';
import { opsAddressFromEnv, startOpsServer, type OpsServer } from '../../src/ops/ops-server.ts';

let server: OpsServer;
let reason: string | undefined = 'discord is not connected yet';
const metrics = new StylizeMetrics();

beforeAll(async () => {
  server = await startOpsServer({ port: 0, host: '127.0.0.1', metrics, notReady: () => reason, stallMs: 300 });
});

afterAll(async () => {
  await server?.close();
});

async function get(p: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`http://127.0.0.1:${server.port}${p}`);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('ops server', () => {
  it('reads its address from the environment: off unless STYLIZE_METRICS_PORT is set, localhost by default', () => {
    expect(opsAddressFromEnv({})).toBeUndefined();
    expect(opsAddressFromEnv({ STYLIZE_METRICS_PORT: '9464' })).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(opsAddressFromEnv({ STYLIZE_METRICS_PORT: '9464', STYLIZE_METRICS_HOST: '0.0.0.0' })).toEqual({ port: 9464, host: '0.0.0.0' });
    expect(() => opsAddressFromEnv({ STYLIZE_METRICS_PORT: 'x' })).toThrow(/STYLIZE_METRICS_PORT: got "x"/);
  });

  it('/readyz: 503 with a one-line JSON reason, 200 once nothing is missing', async () => {
    const r = await get('/readyz');
    expect(r.status).toBe(503);
    expect(r.text.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.text)).toEqual({ status: 'not ready', reason: 'discord is not connected yet' });
    reason = undefined;
    expect((await get('/readyz')).status).toBe(200);
  });

  it('/healthz: 200, and 503 after the event loop was blocked longer than the stall limit', async () => {
    expect((await get('/healthz')).status).toBe(200);
    const until = Date.now() + 900;
    while (Date.now() < until) {
      // A synchronous stretch: no timer, no request handler runs meanwhile.
    }
    const stalled = await get('/healthz');
    expect(stalled.status).toBe(503);
    expect(JSON.parse(stalled.text).reason).toMatch(/event loop was blocked for \d+ ms/);
    await new Promise((r) => setTimeout(r, 600));
    expect((await get('/healthz')).status).toBe(200);
  });

  it('/metrics: Prometheus text with the stylize and default process metrics', async () => {
    metrics.chatRateLimited('discord');
    metrics.chatApiError('some-unknown-thing');
    const r = await get('/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.text).toContain('stylize_chat_rate_limits_total{platform="discord"} 1');
    // Label values are closed sets: anything else becomes "other".
    expect(r.text).toContain('stylize_chat_api_errors_total{platform="other"} 1');
    expect(r.text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  });
});
