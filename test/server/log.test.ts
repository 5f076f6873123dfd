import { describe, expect, it } from 'vitest';
import { createJsonLogger, createLineBuffer } from '../../src/server/log.js';

function manualSchedule(): { schedule: (flush: () => void) => void; run: () => void } {
  let queued: (() => void) | undefined;
  return {
    schedule: (flush) => {
      queued = flush;
    },
    run: () => {
      const flush = queued;
      queued = undefined;
      flush?.();
    },
  };
}

describe('createLineBuffer', () => {
  it('writes the lines of one turn in one call, in order, and nothing twice', () => {
    const writes: string[] = [];
    const turn = manualSchedule();
    const buffer = createLineBuffer((text) => writes.push(text), { schedule: turn.schedule });
    buffer.write('a\n');
    buffer.write('b\n');
    expect(writes).toEqual([]);
    turn.run();
    expect(writes).toEqual(['a\nb\n']);
    turn.run();
    buffer.flush();
    expect(writes).toEqual(['a\nb\n']);
    buffer.write('c\n');
    turn.run();
    expect(writes).toEqual(['a\nb\n', 'c\n']);
  });

  it('writes at once when a batch grows past its size limit', () => {
    const writes: string[] = [];
    const turn = manualSchedule();
    const buffer = createLineBuffer((text) => writes.push(text), {
      maxBytes: 4,
      schedule: turn.schedule,
    });
    buffer.write('ab\n');
    expect(writes).toEqual([]);
    buffer.write('cd\n');
    expect(writes).toEqual(['ab\ncd\n']);
  });

  it('flushes on demand, so lines written before an exit are not lost', () => {
    const writes: string[] = [];
    const buffer = createLineBuffer((text) => writes.push(text), { schedule: () => undefined });
    const logger = createJsonLogger('info', buffer.write);
    logger.log('info', 'stopping', { signal: 'SIGTERM' });
    buffer.flush();
    expect(writes).toHaveLength(1);
    expect(JSON.parse(writes[0] ?? '')).toMatchObject({ msg: 'stopping', signal: 'SIGTERM' });
  });
});
