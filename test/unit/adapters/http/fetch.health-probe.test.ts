import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FetchHealthProbe } from '../../../../functions/adapters/http/fetch.health-probe.ts';

describe('FetchHealthProbe', () => {
  let server: Server;
  let base: string;

  beforeEach(async () => {
    server = createServer((request, response) => {
      if (request.url === '/hang') return; // never answers
      response.statusCode = request.url === '/ok' ? 204 : 503;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it.each([
    ['/ok', true, 'HTTP 204'],
    ['/down', false, 'HTTP 503'],
  ])('reports %s as healthy=%s with its status', async (path, healthy, detail) => {
    // Act
    const result = await new FetchHealthProbe().check(`${base}${path}`, 2000);

    // Assess
    expect(result.healthy).toBe(healthy);
    expect(result.detail).toContain(detail);
  });

  it('reports a server that does not answer in time as unhealthy', async () => {
    // Act
    const result = await new FetchHealthProbe().check(`${base}/hang`, 200);

    // Assess
    expect(result).toEqual({ healthy: false, detail: 'no answer within 200 ms' });
  });

  it('reports a refused connection as unhealthy with the reason', async () => {
    // Prepare
    const port = (server.address() as AddressInfo).port;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server = createServer();
    server.listen(0, '127.0.0.1');

    // Act
    const result = await new FetchHealthProbe().check(`http://127.0.0.1:${port}/ok`, 2000);

    // Assess
    expect(result.healthy).toBe(false);
    expect(result.detail).toContain('ECONNREFUSED');
  });
});
