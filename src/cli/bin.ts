#!/usr/bin/env node
import { writeFile } from 'node:fs/promises';
import { run } from './main.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const exitCode = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin,
  writeFile: (path, text) => writeFile(path, text, 'utf8'),
  isTTY: process.stdout.isTTY,
  env: process.env,
  now: () => new Date(),
});
// Let stdout drain before exiting (large reports piped to another process).
process.exitCode = exitCode;
