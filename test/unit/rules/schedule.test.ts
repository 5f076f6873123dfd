import { describe, expect, it } from 'vitest';
import type { Evaluation, EvaluationInput } from '../../../src/engine/types.js';
import { applyApiServerDefaults } from '../../../src/k8s/api-defaults.js';
import type { KubeObject } from '../../../src/k8s/types.js';
import type { PolicySet } from '../../../src/policy/types.js';
import { analyseSchedule, insideWindows } from '../../../src/rules/schedule/analysis.js';
import { parseSchedule } from '../../../src/schedule/index.js';
import { policiesFrom } from '../../support/policies.js';
import { findingsOf, run } from '../../support/evaluate.js';

function messagesOf(result: Evaluation, ruleId: string): string[] {
  return findingsOf(result, ruleId).map((finding) => finding.message);
}

function cronJob(spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'nightly', namespace: 'default' },
    spec: {
      ...spec,
      jobTemplate: {
        spec: {
          template: {
            spec: {
              restartPolicy: 'OnFailure',
              containers: [{ name: 'app', image: 'r.example.com/app:1' }],
            },
          },
        },
      },
    },
  };
}

function policy(name: string, specYaml: string): PolicySet {
  return policiesFrom(`
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata: {name: ${name}}
spec:
  action: enforce
${specYaml}
`);
}

/** Schedule rules that are always enabled run under any policy that matches. */
const plain = policy('plain', '  schedule: {}');

describe('schedule-syntax', () => {
  it('reports a missing, non-string or empty schedule', () => {
    const missing = findingsOf(run(plain, cronJob({})), 'schedule-syntax');
    expect(missing).toEqual([
      {
        ruleId: 'schedule-syntax',
        policy: 'plain',
        action: 'enforce',
        severity: 'error',
        message: 'spec.schedule is not set; a CronJob requires a schedule',
        path: '/spec',
        fix: 'set spec.schedule, e.g. "0 3 * * *" (03:00 every day)',
      },
    ]);
    expect(messagesOf(run(plain, cronJob({ schedule: 5 })), 'schedule-syntax')).toEqual([
      'spec.schedule must be a string, got 5',
    ]);
    expect(messagesOf(run(plain, cronJob({ schedule: '' })), 'schedule-syntax')).toEqual([
      'spec.schedule is empty; a CronJob requires a schedule',
    ]);
  });

  it('reports what robfig/cron would refuse, with the fix', () => {
    const result = run(plain, cronJob({ schedule: '0 0 * *' }));
    expect(findingsOf(result, 'schedule-syntax')).toEqual([
      expect.objectContaining({
        path: '/spec/schedule',
        message:
          'schedule "0 0 * *" is invalid: expected 5 fields (minute hour day-of-month month day-of-week), found 4',
        fix: 'write all five fields, e.g. "0 3 * * *" for 03:00 every day, or use a descriptor such as @daily',
      }),
    ]);
    for (const schedule of ['0 0 * * 7', '*/0 * * * *', '@reboot', '0 0 0 * * *', 'L 0 * * *']) {
      expect(messagesOf(run(plain, cronJob({ schedule })), 'schedule-syntax')).toEqual([
        expect.stringMatching(/^schedule ".*" is invalid: /),
      ]);
    }
    for (const schedule of [
      '0 3 * * *',
      '@daily',
      '@every 1h30m',
      '*/15 9-17 * jan-mar mon-fri',
      '0 0 29 2 *',
    ]) {
      expect(messagesOf(run(plain, cronJob({ schedule })), 'schedule-syntax')).toEqual([]);
    }
  });

  it('rejects TZ in the schedule on create, and says where the zone goes', () => {
    const result = run(plain, cronJob({ schedule: 'TZ=Europe/Oslo 0 3 * * *' }));
    expect(findingsOf(result, 'schedule-syntax')).toEqual([
      expect.objectContaining({
        message:
          'schedule "TZ=Europe/Oslo 0 3 * * *" is invalid: schedule contains "TZ": the API server rejects TZ= and CRON_TZ= in spec.schedule',
        fix: 'set spec.timeZone: "Europe/Oslo" and spec.schedule: "0 3 * * *"',
      }),
    ]);
  });

  it('on update, allows a TZ prefix only if the stored schedule had one, and not with spec.timeZone', () => {
    const legacy = cronJob({ schedule: 'CRON_TZ=Europe/Oslo 0 4 * * *' });
    const update = (oldSchedule: string): Partial<EvaluationInput> => ({
      operation: 'UPDATE',
      oldObject: cronJob({ schedule: oldSchedule }),
    });
    expect(
      messagesOf(run(plain, legacy, update('TZ=Europe/Oslo 0 3 * * *')), 'schedule-syntax'),
    ).toEqual([]);
    expect(messagesOf(run(plain, legacy, update('0 3 * * *')), 'schedule-syntax')).toEqual([
      expect.stringContaining('the API server rejects TZ= and CRON_TZ= in spec.schedule'),
    ]);
    const withZone = cronJob({ schedule: 'TZ=Europe/Oslo 0 4 * * *', timeZone: 'Europe/Oslo' });
    expect(
      messagesOf(run(plain, withZone, update('TZ=Europe/Oslo 0 3 * * *')), 'schedule-syntax'),
    ).toEqual([
      'schedule "TZ=Europe/Oslo 0 4 * * *" keeps its TZ prefix while spec.timeZone is set; the API server rejects TZ or CRON_TZ in the schedule together with spec.timeZone',
    ]);
    const badZone = cronJob({ schedule: 'TZ=Mars/Olympus 0 4 * * *' });
    expect(messagesOf(run(plain, badZone, update('TZ=UTC 0 3 * * *')), 'schedule-syntax')).toEqual([
      'schedule "TZ=Mars/Olympus 0 4 * * *" is invalid: provided bad location Mars/Olympus: unknown time zone Mars/Olympus',
    ]);
    const badRest = cronJob({ schedule: 'TZ=UTC 0 4 * *' });
    expect(messagesOf(run(plain, badRest, update('TZ=UTC 0 3 * * *')), 'schedule-syntax')).toEqual([
      'schedule "TZ=UTC 0 4 * *" is invalid: expected 5 fields (minute hour day-of-month month day-of-week), found 4',
    ]);
  });

  it('analyses a legacy TZ prefix in its own zone', () => {
    const windows = policy(
      'windows',
      '  schedule:\n    windows:\n      - {start: "01:00", end: "05:00"}',
    );
    const update = {
      operation: 'UPDATE' as const,
      oldObject: cronJob({ schedule: 'TZ=UTC 0 3 * * *' }),
    };
    expect(
      messagesOf(
        run(windows, cronJob({ schedule: 'TZ=Asia/Tokyo 0 12 * * *' }), update),
        'schedule-run-window',
      ),
    ).toEqual([
      'schedule "TZ=Asia/Tokyo 0 12 * * *" runs at 12:00 (Asia/Tokyo) on Monday, outside the allowed windows every day 01:00-05:00',
    ]);
    // TZ=Local is the controller's own zone, like an unset spec.timeZone.
    const local = run(windows, cronJob({ schedule: 'TZ=Local 0 12 * * *' }), update);
    expect(messagesOf(local, 'schedule-syntax')).toEqual([]);
    expect(messagesOf(local, 'schedule-run-window')).toEqual([
      'schedule "TZ=Local 0 12 * * *" runs at 12:00 (UTC; with spec.timeZone unset the controller-manager\'s local zone applies) on Monday, outside the allowed windows every day 01:00-05:00',
    ]);
  });

  it('keeps messages on one short line whatever the input', () => {
    const schedule = `0 0 * *\n${'x'.repeat(500)}`;
    const [message] = messagesOf(run(plain, cronJob({ schedule })), 'schedule-syntax');
    expect(message).toBeDefined();
    expect(message).not.toContain('\n');
    expect(message!.length).toBeLessThan(400);
  });
});

describe('schedule-never-fires', () => {
  it('names the impossible day and month', () => {
    const result = run(plain, cronJob({ schedule: '0 0 30 2 *' }));
    expect(findingsOf(result, 'schedule-never-fires')).toEqual([
      expect.objectContaining({
        path: '/spec/schedule',
        message:
          'schedule "0 0 30 2 *" never fires: day 30 does not exist in February; the CronJob controller reports InvalidSchedule and never starts a Job',
        fix: 'use a day-of-month of at most 29 for February (28 to run every year, not only in leap years)',
      }),
    ]);
    expect(
      messagesOf(run(plain, cronJob({ schedule: '0 0 31 4,6,9,11 *' })), 'schedule-never-fires'),
    ).toEqual([
      'schedule "0 0 31 4,6,9,11 *" never fires: day 31 does not exist in April, June, September or November; the CronJob controller reports InvalidSchedule and never starts a Job',
    ]);
    expect(
      messagesOf(run(plain, cronJob({ schedule: '0 0 30,31 feb *' })), 'schedule-never-fires'),
    ).toEqual([
      'schedule "0 0 30,31 feb *" never fires: days 30 and 31 do not exist in February; the CronJob controller reports InvalidSchedule and never starts a Job',
    ]);
  });

  it('does not report leap days or schedules rescued by the OR day rule', () => {
    for (const schedule of [
      '0 0 29 2 *',
      '0 0 30 2 1',
      '0 0 30 2 */2',
      '0 0 31 * *',
      '@every 1h',
    ]) {
      expect(messagesOf(run(plain, cronJob({ schedule })), 'schedule-never-fires')).toEqual([]);
    }
  });

  it('leaves invalid schedules to schedule-syntax', () => {
    const result = run(plain, cronJob({ schedule: '0 0 30 2' }));
    expect(messagesOf(result, 'schedule-never-fires')).toEqual([]);
    expect(messagesOf(result, 'schedule-syntax')).toHaveLength(1);
  });
});

describe('schedule-timezone', () => {
  it('validates spec.timeZone with the API server rules', () => {
    const cases: [unknown, string][] = [
      ['Mars/Olympus', 'spec.timeZone "Mars/Olympus" is invalid: unknown time zone Mars/Olympus'],
      [
        'Local',
        'spec.timeZone "Local" is invalid: timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
      ],
      ['', 'spec.timeZone "" is invalid: timeZone must be nil or non-empty string'],
      ['europe/oslo', 'spec.timeZone "europe/oslo" is invalid: unknown time zone europe/oslo'],
      [3, 'spec.timeZone must be a string, got 3'],
    ];
    for (const [timeZone, message] of cases) {
      const findings = findingsOf(
        run(plain, cronJob({ schedule: '0 3 * * *', timeZone })),
        'schedule-timezone',
      );
      expect(findings).toEqual([expect.objectContaining({ path: '/spec/timeZone', message })]);
    }
    for (const timeZone of ['Europe/Oslo', 'UTC', 'America/Argentina/Buenos_Aires', null]) {
      expect(
        messagesOf(run(plain, cronJob({ schedule: '0 3 * * *', timeZone })), 'schedule-timezone'),
      ).toEqual([]);
    }
  });

  it('on update re-validates the zone only when it changed, as the API server does', () => {
    const object = cronJob({ schedule: '0 3 * * *', timeZone: 'Mars/Olympus' });
    const unchanged = run(plain, object, {
      operation: 'UPDATE',
      oldObject: cronJob({ schedule: '0 2 * * *', timeZone: 'Mars/Olympus' }),
    });
    expect(messagesOf(unchanged, 'schedule-timezone')).toEqual([]);
    const changed = run(plain, object, {
      operation: 'UPDATE',
      oldObject: cronJob({ schedule: '0 2 * * *', timeZone: 'UTC' }),
    });
    expect(messagesOf(changed, 'schedule-timezone')).toHaveLength(1);
  });

  it('reports a missing zone when required, and zones outside the allowed globs', () => {
    const strict = policy(
      'strict',
      '  schedule:\n    timeZone: {required: true, allowed: [UTC, "Europe/*"]}',
    );
    expect(
      findingsOf(run(strict, cronJob({ schedule: '0 3 * * *' })), 'schedule-timezone'),
    ).toEqual([
      expect.objectContaining({
        path: '/spec',
        message:
          "spec.timeZone is not set, so the schedule runs in the kube-controller-manager's local time zone",
        fix: 'set spec.timeZone, e.g. timeZone: "UTC"',
      }),
    ]);
    expect(
      findingsOf(
        run(strict, cronJob({ schedule: '0 3 * * *', timeZone: 'America/New_York' })),
        'schedule-timezone',
      ),
    ).toEqual([
      expect.objectContaining({
        path: '/spec/timeZone',
        message: 'spec.timeZone "America/New_York" is not allowed; allowed: UTC, Europe/*',
        fix: 'set spec.timeZone to a zone matching UTC or Europe/*',
      }),
    ]);
    expect(
      messagesOf(
        run(strict, cronJob({ schedule: '0 3 * * *', timeZone: 'Europe/Oslo' })),
        'schedule-timezone',
      ),
    ).toEqual([]);
  });

  it('fills the policy default when the zone is missing or null, idempotently', () => {
    const defaulting = policy(
      'defaulting',
      '  schedule:\n    timeZone: {required: true, default: Europe/Oslo}',
    );
    for (const spec of [{ schedule: '0 3 * * *' }, { schedule: '0 3 * * *', timeZone: null }]) {
      const result = run(defaulting, cronJob(spec));
      expect(result.mutations.filter((m) => m.ruleId === 'schedule-timezone')).toEqual([
        expect.objectContaining({
          path: '/spec/timeZone',
          value: 'Europe/Oslo',
          message: 'set spec.timeZone to Europe/Oslo (policy default)',
        }),
      ]);
      expect(result.findings.filter((f) => f.ruleId.startsWith('schedule-'))).toEqual([]);
      const again = run(defaulting, result.mutated);
      expect(again.patch).toEqual([]);
      expect(again.findings).toEqual(result.findings);
    }
    // A zone the author wrote is kept.
    const written = run(defaulting, cronJob({ schedule: '0 3 * * *', timeZone: 'UTC' }));
    expect(written.mutations.filter((m) => m.ruleId === 'schedule-timezone')).toEqual([]);
  });

  it('does not fill a zone next to a legacy TZ prefix, which the API server would reject', () => {
    const defaulting = policy('defaulting', '  schedule:\n    timeZone: {default: Europe/Oslo}');
    const result = run(defaulting, cronJob({ schedule: 'TZ=UTC 0 3 * * *' }), {
      operation: 'UPDATE',
      oldObject: cronJob({ schedule: 'TZ=UTC 0 2 * * *' }),
    });
    expect(result.mutations.filter((m) => m.ruleId === 'schedule-timezone')).toEqual([]);
    expect(messagesOf(result, 'schedule-syntax')).toEqual([]);
  });
});

describe('schedule-min-interval', () => {
  const fiveMinutes = policy('min5', '  schedule: {minInterval: 5m}');

  it('reports a schedule below the policy minimum, as in the docs', () => {
    const result = run(fiveMinutes, cronJob({ schedule: '*/1 * * * *', timeZone: 'UTC' }));
    expect(findingsOf(result, 'schedule-min-interval')).toEqual([
      {
        ruleId: 'schedule-min-interval',
        policy: 'min5',
        action: 'enforce',
        severity: 'error',
        message: 'schedule "*/1 * * * *" runs every 1m; the policy\'s minimum interval is 5m',
        path: '/spec/schedule',
        fix: 'space the runs at least 5m apart, e.g. schedule: "*/5 * * * *"',
      },
    ]);
    for (const schedule of ['*/5 * * * *', '0 * * * *', '@every 5m', '0 0 29 2 *']) {
      expect(
        messagesOf(
          run(fiveMinutes, cronJob({ schedule, timeZone: 'UTC' })),
          'schedule-min-interval',
        ),
      ).toEqual([]);
    }
  });

  it('notes the controller-manager zone when spec.timeZone is unset', () => {
    expect(
      messagesOf(run(fiveMinutes, cronJob({ schedule: '* * * * *' })), 'schedule-min-interval'),
    ).toEqual([
      'schedule "* * * * *" runs every 1m (in UTC; with spec.timeZone unset the controller-manager\'s local zone applies); the policy\'s minimum interval is 5m',
    ]);
  });

  it('says "only X apart" for uneven schedules, daylight-saving changes included', () => {
    const twelveHours = policy('min12h', '  schedule: {minInterval: 12h}');
    expect(
      messagesOf(
        run(twelveHours, cronJob({ schedule: '0 9,17 * * *', timeZone: 'UTC' })),
        'schedule-min-interval',
      ),
    ).toEqual([
      'schedule "0 9,17 * * *" has runs only 8h apart; the policy\'s minimum interval is 12h',
    ]);
    // 02:30 happens twice when Berlin falls back on 2024-10-27: two runs an hour apart.
    const twoHours = policy('min2h', '  schedule: {minInterval: 2h}');
    expect(
      messagesOf(
        run(twoHours, cronJob({ schedule: '30 2 * * *', timeZone: 'Europe/Berlin' })),
        'schedule-min-interval',
      ),
    ).toEqual([
      'schedule "30 2 * * *" has runs only 1h apart (in Europe/Berlin); the policy\'s minimum interval is 2h',
    ]);
    expect(
      messagesOf(
        run(twoHours, cronJob({ schedule: '30 2 * * *', timeZone: 'UTC' })),
        'schedule-min-interval',
      ),
    ).toEqual([]);
  });

  it('flags sub-minute @every runs even without a policy minimum, as an inference', () => {
    const noMinimum = policy('nomin', '  schedule: {timeZone: {allowed: ["*"]}}');
    const result = run(noMinimum, cronJob({ schedule: '@every 30s', timeZone: 'UTC' }));
    expect(findingsOf(result, 'schedule-min-interval')).toEqual([
      expect.objectContaining({
        message:
          'schedule "@every 30s" runs every 30s; the controller names each Job after its scheduled minute, so runs less than 1m apart share a name and at most one Job per minute starts (inferred from the Job naming)',
        fix: 'space the runs at least 1m apart, e.g. schedule: "* * * * *"',
      }),
    ]);
    expect(
      messagesOf(
        run(fiveMinutes, cronJob({ schedule: '@every 10s', timeZone: 'UTC' })),
        'schedule-min-interval',
      ),
    ).toEqual([
      expect.stringMatching(
        /^schedule "@every 10s" runs every 10s; the policy's minimum interval is 5m; the controller names each Job/,
      ),
    ]);
  });

  it('is off without a schedule section, and skips schedules it cannot analyse', () => {
    const noSchedule = policy('noschedule', '  job: {backoffLimit: {max: 6}}');
    expect(
      messagesOf(run(noSchedule, cronJob({ schedule: '@every 1s' })), 'schedule-min-interval'),
    ).toEqual([]);
    for (const spec of [
      { schedule: '0 0 30 2 *' },
      { schedule: 'nonsense' },
      { schedule: '* * * * *', timeZone: 'Mars/Olympus' },
    ]) {
      expect(messagesOf(run(fiveMinutes, cronJob(spec)), 'schedule-min-interval')).toEqual([]);
    }
  });

  it('analyses each (schedule, zone) once', () => {
    const parsed = parseSchedule('*/7 * * * *');
    if (!parsed.ok) throw new Error('test schedule must parse');
    const first = analyseSchedule(parsed.schedule, 'Europe/Oslo');
    expect(analyseSchedule(parsed.schedule, 'Europe/Oslo')).toBe(first);
    expect(analyseSchedule(parsed.schedule, 'UTC')).not.toBe(first);
    // `*/7` restarts at minute 0 every hour: 56 → 0 is 4 minutes.
    expect(first.minIntervalSeconds).toBe(240);
    expect(first.uniform).toBe(false);
  });
});

describe('schedule-run-window', () => {
  const nightly = policy(
    'nightly',
    '  schedule:\n    windows:\n      - {days: [mon, tue, wed, thu, fri], start: "01:00", end: "05:00"}',
  );

  it('reports the first run outside the windows, in the CronJob zone, as in the docs', () => {
    const result = run(nightly, cronJob({ schedule: '0 12 * * *', timeZone: 'Europe/Oslo' }));
    expect(findingsOf(result, 'schedule-run-window')).toEqual([
      {
        ruleId: 'schedule-run-window',
        policy: 'nightly',
        action: 'enforce',
        severity: 'error',
        message:
          'schedule "0 12 * * *" runs at 12:00 (Europe/Oslo) on Monday, outside the allowed windows mon-fri 01:00-05:00',
        path: '/spec/schedule',
        fix: 'start the runs inside an allowed window, e.g. schedule: "0 1 * * 1-5"',
      },
    ]);
    // Inside on weekdays, outside at the weekend; the end is exclusive.
    expect(
      messagesOf(
        run(nightly, cronJob({ schedule: '30 3 * * 1-5', timeZone: 'UTC' })),
        'schedule-run-window',
      ),
    ).toEqual([]);
    expect(
      messagesOf(
        run(nightly, cronJob({ schedule: '30 3 * * *', timeZone: 'UTC' })),
        'schedule-run-window',
      ),
    ).toEqual([
      'schedule "30 3 * * *" runs at 03:30 (UTC) on Saturday, outside the allowed windows mon-fri 01:00-05:00',
    ]);
    expect(
      messagesOf(
        run(nightly, cronJob({ schedule: '0 5 * * 1', timeZone: 'UTC' })),
        'schedule-run-window',
      ),
    ).toEqual([
      'schedule "0 5 * * 1" runs at 05:00 (UTC) on Monday, outside the allowed windows mon-fri 01:00-05:00',
    ]);
  });

  it('handles windows across midnight, counted from the day they open', () => {
    const weekend = policy(
      'weekend',
      '  schedule:\n    windows:\n      - {days: [fri, sat], start: "22:00", end: "02:00"}\n      - {start: "12:00", end: "12:30"}',
    );
    // Saturday 01:30 belongs to Friday's window; Sunday 01:30 to Saturday's.
    expect(
      messagesOf(
        run(weekend, cronJob({ schedule: '30 1 * * 6,0', timeZone: 'UTC' })),
        'schedule-run-window',
      ),
    ).toEqual([]);
    expect(
      messagesOf(
        run(weekend, cronJob({ schedule: '30 1 * * 5', timeZone: 'UTC' })),
        'schedule-run-window',
      ),
    ).toEqual([
      'schedule "30 1 * * 5" runs at 01:30 (UTC) on Friday, outside the allowed windows fri,sat 22:00-02:00, every day 12:00-12:30',
    ]);
    expect(
      messagesOf(
        run(weekend, cronJob({ schedule: '15 12 * * *', timeZone: 'UTC' })),
        'schedule-run-window',
      ),
    ).toEqual([]);
    expect(insideWindows([{ days: ['sun'], start: '23:00', end: '01:00' }], 1, 30)).toBe(true);
    expect(insideWindows([{ days: ['sun'], start: '23:00', end: '01:00' }], 0, 30)).toBe(false);
  });

  it('notes the controller-manager zone when spec.timeZone is unset, and uses the policy default zone', () => {
    expect(
      messagesOf(run(nightly, cronJob({ schedule: '0 12 * * *' })), 'schedule-run-window'),
    ).toEqual([
      'schedule "0 12 * * *" runs at 12:00 (UTC; with spec.timeZone unset the controller-manager\'s local zone applies) on Monday, outside the allowed windows mon-fri 01:00-05:00',
    ]);
    // 03:00 is inside the window in whatever zone it is read; the policy default zone
    // is filled in. In Tokyo the analysis starts at 09:00 on Monday (the anchor is
    // midnight UTC), so the first run outside is on Tuesday.
    const osloNightly = policy(
      'oslo',
      '  schedule:\n    timeZone: {default: Europe/Oslo}\n    windows:\n      - {start: "02:30", end: "04:00"}',
    );
    const result = run(osloNightly, cronJob({ schedule: '0 3 * * *' }));
    expect(messagesOf(result, 'schedule-run-window')).toEqual([]);
    expect((result.mutated.spec as Record<string, unknown>).timeZone).toBe('Europe/Oslo');
    expect(
      messagesOf(
        run(osloNightly, cronJob({ schedule: '0 3 * * *', timeZone: 'America/New_York' })),
        'schedule-run-window',
      ),
    ).toEqual([]);
    expect(
      messagesOf(
        run(osloNightly, cronJob({ schedule: '0 3 * * *', timeZone: 'Asia/Tokyo' })),
        'schedule-run-window',
      ),
    ).toEqual([]);
    expect(
      messagesOf(
        run(osloNightly, cronJob({ schedule: '0 2 * * *', timeZone: 'Asia/Tokyo' })),
        'schedule-run-window',
      ),
    ).toEqual([
      'schedule "0 2 * * *" runs at 02:00 (Asia/Tokyo) on Tuesday, outside the allowed windows every day 02:30-04:00',
    ]);
  });

  it('reports @every schedules unless the windows cover the whole week', () => {
    expect(
      messagesOf(
        run(nightly, cronJob({ schedule: '@every 24h', timeZone: 'UTC' })),
        'schedule-run-window',
      ),
    ).toEqual([
      'schedule "@every 24h" counts from when the CronJob was created or last ran, so its runs drift across the clock and cannot be kept inside the allowed windows mon-fri 01:00-05:00',
    ]);
    const always = policy(
      'always',
      '  schedule:\n    windows:\n      - {start: "00:00", end: "24:00"}',
    );
    expect(
      messagesOf(
        run(always, cronJob({ schedule: '@every 1h', timeZone: 'UTC' })),
        'schedule-run-window',
      ),
    ).toEqual([]);
  });

  it('finds a minutely schedule outside a window quickly and remembers the answer', () => {
    const started = performance.now();
    for (let index = 0; index < 2000; index++) {
      run(nightly, cronJob({ schedule: '* 1-4 * * 1-5', timeZone: 'Europe/Oslo' }));
    }
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(
      messagesOf(
        run(nightly, cronJob({ schedule: '* 1-4 * * 1-5', timeZone: 'Europe/Oslo' })),
        'schedule-run-window',
      ),
    ).toEqual([]);
    expect(
      messagesOf(
        run(nightly, cronJob({ schedule: '* 1-5 * * 1-5', timeZone: 'Europe/Oslo' })),
        'schedule-run-window',
      ),
    ).toEqual([
      'schedule "* 1-5 * * 1-5" runs at 05:00 (Europe/Oslo) on Monday, outside the allowed windows mon-fri 01:00-05:00',
    ]);
  });
});

describe('schedule rules on untrusted input', () => {
  const everything = policy(
    'everything',
    [
      '  schedule:',
      '    minInterval: 5m',
      '    timeZone: {required: true, allowed: ["Europe/*"], default: Europe/Oslo}',
      '    windows:',
      '      - {start: "01:00", end: "05:00"}',
    ].join('\n'),
  );

  it('never throws', () => {
    const objects: unknown[] = [
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'x' } },
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'x' }, spec: 'nope' },
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'x' }, spec: [] },
      cronJob({ schedule: ['0 3 * * *'], timeZone: { zone: 'UTC' } }),
      cronJob({ schedule: '@every 0s' }),
      cronJob({ schedule: 'TZ=', timeZone: '' }),
      cronJob({ schedule: '\u0000 \u0085 * * *' }),
    ];
    for (const object of objects) {
      expect(() => run(everything, object)).not.toThrow();
      expect(() =>
        run(everything, object, {
          operation: 'UPDATE',
          oldObject: cronJob({ schedule: 'TZ=UTC 0 0 * * *' }),
        }),
      ).not.toThrow();
    }
  });

  it('gives the same answer in lint and in admission', () => {
    for (const spec of [
      { schedule: '*/1 * * * *' },
      { schedule: '0 12 * * *', timeZone: 'America/New_York' },
      { schedule: '0 0 30 2 *' },
    ]) {
      const authored = cronJob(spec);
      const admitted = structuredClone(authored) as Record<string, unknown>;
      applyApiServerDefaults(admitted);
      const lint = run(everything, authored);
      const admission = run(everything, admitted);
      expect(admission.findings).toEqual(lint.findings);
      const lintResult = structuredClone(lint.mutated) as Record<string, unknown>;
      applyApiServerDefaults(lintResult);
      expect(admission.mutated).toEqual(lintResult);
    }
  });
});
