import { request } from 'node:https';
import type { FakeKubeApiServer } from '../support/fake-kube-apiserver.js';

/**
 * Polls until `check` stops throwing (or returns true), for state that converges
 * asynchronously. The timeout is generous: it only bounds a failing test.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const result = await check();
      if (result !== false) return result;
      throw new Error('condition is still false');
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface RawAnswer {
  status: number;
  body: string;
  json: unknown;
}

/** One HTTPS request to the fake server with its CA and token, for protocol assertions. */
export function rawRequest(
  server: FakeKubeApiServer,
  method: string,
  path: string,
  options: { body?: string; contentType?: string; token?: string } = {},
): Promise<RawAnswer> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method,
        ca: server.caCert,
        agent: false,
        headers: {
          authorization: `Bearer ${options.token ?? server.token}`,
          ...(options.contentType === undefined ? {} : { 'content-type': options.contentType }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode ?? 0, body, json });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** Reads a watch stream until `count` events arrived or it ended; returns the events. */
export function readWatch(
  server: FakeKubeApiServer,
  path: string,
  count: number,
): Promise<{ type: string; object: Record<string, unknown> }[]> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const events: { type: string; object: Record<string, unknown> }[] = [];
    let buffered = '';
    const outgoing = request(
      url,
      { ca: server.caCert, agent: false, headers: { authorization: `Bearer ${server.token}` } },
      (response) => {
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffered += chunk;
          let newline = buffered.indexOf('\n');
          while (newline >= 0) {
            events.push(JSON.parse(buffered.slice(0, newline)) as (typeof events)[number]);
            buffered = buffered.slice(newline + 1);
            newline = buffered.indexOf('\n');
          }
          if (events.length >= count) {
            outgoing.destroy();
            resolve(events);
          }
        });
        response.on('end', () => {
          resolve(events);
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', (error) => {
      if (events.length >= count) resolve(events);
      else reject(error);
    });
    outgoing.end();
  });
}

export function namespace(name: string, labels: Record<string, string> = {}) {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}
