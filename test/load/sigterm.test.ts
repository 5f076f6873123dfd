/**
 * SIGTERM under load, on the real process: `node dist/src/cli/bin.js serve` with
 * certificate files, stopped by SIGTERM while 1000 req/s run over keep-alive
 * connections, as Kubernetes stops a pod. Every request the server took must get
 * its full 200 answer; a request it did not take must fail at the connection
 * (refused or reset before any response byte), never with a 5xx or half an
 * answer; the process exits 0. Needs the compiled CLI (npm run build); skipped,
 * saying so, when dist/ is missing.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/version.js';
import { eventually } from '../kube/support.js';
import { testCertificates } from '../server/support.js';
import {
  describeLoad,
  FAULT_SECONDS,
  LOAD_RATE,
  reviewTemplateOf,
  sleep,
  startLoad,
  temporaryDirectory,
  timeoutFor,
} from './support.js';

const BIN = join(packageRoot(), 'dist/src/cli/bin.js');
const HAVE_BUILD = existsSync(BIN);
if (!HAVE_BUILD) {
  console.log(`[load] SIGTERM under load skipped: ${BIN} is missing (run npm run build first)`);
}

const cronJob = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'drain', namespace: 'team-a' },
  spec: {
    schedule: '*/5 * * * *',
    jobTemplate: {
      spec: {
        template: {
          spec: { containers: [{ name: 'c', image: 'busybox:1.36' }], restartPolicy: 'OnFailure' },
        },
      },
    },
  },
};

interface LogLine {
  msg?: string;
  uid?: string;
  https?: string;
}

function readLog(path: string): LogLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

describe('SIGTERM under load', () => {
  it.skipIf(!HAVE_BUILD)(
    'answers every request it accepted, refuses the rest at the connection, and exits 0',
    async () => {
      const directory = temporaryDirectory('cronguard-load-sigterm-');
      const { cert, key, caCert } = testCertificates();
      writeFileSync(join(directory, 'tls.crt'), cert);
      writeFileSync(join(directory, 'tls.key'), key);
      const logPath = join(directory, 'serve.log');
      // Logs go to a file, as a container runtime collects them; this process is busy loading.
      const logFile = openSync(logPath, 'w');
      const child = spawn(
        process.execPath,
        [
          BIN,
          'serve',
          '--tls-cert',
          join(directory, 'tls.crt'),
          '--tls-key',
          join(directory, 'tls.key'),
          '--host',
          '127.0.0.1',
          '--port',
          '0',
          '--metrics-port',
          '0',
          '--cluster',
          'off',
          // Every decision is logged, so the server's count can be set against the client's.
          '--log-level',
          'debug',
          '--drain-seconds',
          '10',
        ],
        { stdio: ['ignore', logFile, 'pipe'] },
      );
      closeSync(logFile);
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (resolve) => {
          child.once('exit', (code, signal) => {
            resolve({ code, signal });
          });
        },
      );
      try {
        const port = await eventually(
          () => {
            const serving = readLog(logPath).find(
              (line) => line.msg === 'cronguard webhook serving',
            );
            const match = /:(\d+)$/.exec(serving?.https ?? '');
            if (match === null) throw new Error(`not serving yet; stderr: ${stderr}`);
            return Number(match[1]);
          },
          { timeoutMs: 20_000 },
        );

        const run = startLoad({
          port,
          rate: LOAD_RATE,
          ca: caCert,
          bodyTemplate: reviewTemplateOf(cronJob),
          paths: ['/mutate?timeout=10s', '/validate?timeout=10s'],
          check: ({ review }) =>
            review.response?.allowed === true ? undefined : 'the CronJob was not allowed',
        });
        await sleep((FAULT_SECONDS * 1000) / 2);
        const beforeSignal = run.snapshot();
        child.kill('SIGTERM');
        const exit = await exited;
        const atExit = run.snapshot();
        // The load goes on against the closed port for a moment: those are refused too.
        await sleep(300);
        run.stop();
        const report = await run.done;

        console.log(describeLoad('SIGTERM', report));
        console.log(
          `[load] accepted and answered: ${report.outcomes.ok} (${report.outcomes.ok - beforeSignal.outcomes.ok} after SIGTERM); ` +
            `refused at the connection: ${report.outcomes.refused} (${atExit.outcomes.refused} before the process was gone); ` +
            `exit ${String(exit.code)}`,
        );

        expect(exit).toEqual({ code: 0, signal: null });
        expect(stderr).toBe('');
        expect(report.failureSamples).toEqual([]);
        expect(report.failed).toBe(0);
        expect(report.outcomes.ok + report.outcomes.refused).toBe(report.sent);
        expect(beforeSignal.outcomes.ok).toBeGreaterThan(0);
        expect(beforeSignal.outcomes.refused).toBe(0);
        // The run did cross the shutdown: requests were sent after it and refused.
        expect(report.outcomes.refused).toBeGreaterThan(0);

        const log = readLog(logPath);
        const decided = log.filter((line) => line.msg === 'admission decision');
        // Each request the server decided reached its client in full, and vice versa.
        expect(decided).toHaveLength(report.outcomes.ok);
        expect(new Set(decided.map((line) => line.uid)).size).toBe(decided.length);
        const messages = log.map((line) => line.msg);
        expect(messages).toContain('draining: readiness is false, finishing in-flight requests');
        expect(messages.at(-1)).toBe('stopped');
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    },
    timeoutFor(FAULT_SECONDS),
  );
});
