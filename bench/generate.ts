/**
 * Deterministic generator of realistic CronJob manifests for benchmarks: varied
 * names, schedules, images, resources and security contexts, ~40 lines each.
 */
const SCHEDULES = [
  '*/5 * * * *',
  '0 3 * * *',
  '30 2 * * mon-fri',
  '@hourly',
  '0 */6 * * *',
  '15 1 1 * *',
  '@daily',
  '0 9-17 * * 1-5',
];
const IMAGES = [
  'registry.example.com/batch/report:1.4.2',
  'nginx:latest',
  'busybox',
  'ghcr.io/org/tool:2.0.1',
  'registry.example.com/etl/loader:3.1',
];
const ZONES = ['', 'Europe/Oslo', 'UTC', 'America/New_York'];

function pick<T>(list: readonly T[], index: number): T {
  return list[index % list.length] as T;
}

export function cronJobYaml(index: number): string {
  const zone = pick(ZONES, index);
  const hardened = index % 3 === 0;
  return `apiVersion: batch/v1
kind: CronJob
metadata:
  name: job-${index}
  namespace: team-${index % 17}
  labels:
    app: job-${index}
    team: team-${index % 17}
spec:
  schedule: "${pick(SCHEDULES, index)}"
${zone === '' ? '' : `  timeZone: ${zone}\n`}${index % 2 === 0 ? '  concurrencyPolicy: Forbid\n' : ''}  jobTemplate:
    spec:
      backoffLimit: ${index % 7}
      template:
        metadata:
          labels:
            app: job-${index}
        spec:
          restartPolicy: ${index % 2 === 0 ? 'OnFailure' : 'Never'}
${hardened ? '          securityContext:\n            runAsNonRoot: true\n            seccompProfile:\n              type: RuntimeDefault\n' : ''}          containers:
            - name: main
              image: ${pick(IMAGES, index)}
              args: ["--batch", "${index}", "--verbose"]
              env:
                - name: TARGET
                  value: "s3://bucket/${index}"
              resources:
                requests:
                  cpu: ${100 + (index % 5) * 50}m
                  memory: ${128 * (1 + (index % 4))}Mi
${index % 4 === 0 ? `                limits:\n                  memory: ${512 * (1 + (index % 3))}Mi\n` : ''}${hardened ? '              securityContext:\n                allowPrivilegeEscalation: false\n                capabilities:\n                  drop: ["ALL"]\n' : ''}`;
}

export function cronJobStream(count: number): string {
  const parts: string[] = [];
  for (let index = 0; index < count; index++) parts.push(cronJobYaml(index));
  return parts.join('---\n');
}
