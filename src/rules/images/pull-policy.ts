import { defaultImagePullPolicy } from '../../k8s/api-defaults.js';
import type { PointerSegment } from '../../util/json-pointer.js';
import type { Rule } from '../rule.js';
import { mutateSetting, validateSetting, type SettingField } from '../setting.js';

/**
 * The API server defaults imagePullPolicy from the image (Always for `latest` or no
 * tag, else IfNotPresent), so "default" mode treats that value as unset, the same
 * in lint (field omitted) and in admission (field already defaulted).
 */
function pullPolicyField(
  path: readonly PointerSegment[],
  image: unknown,
  container: string,
): SettingField {
  const apiDefault = defaultImagePullPolicy(image);
  return {
    path: [...path, 'imagePullPolicy'],
    apiDefault,
    unsetMeaning:
      apiDefault === undefined
        ? 'the image is missing, so no default applies'
        : `defaults to ${apiDefault} for this image`,
    type: 'string',
    container,
  };
}

export const imagesPullPolicy: Rule = {
  id: 'images-pull-policy',
  section: 'images',
  title: 'Container imagePullPolicy',
  description:
    "Governs each container's imagePullPolicy (Always, IfNotPresent, Never). Kubernetes defaults it from the image: Always for an untagged or `latest` image, IfNotPresent otherwise; a policy can fill in, enforce or restrict it.",
  kinds: ['CronJob', 'Job', 'Pod'],
  enabled: (spec) => spec.images?.pullPolicy !== undefined,
  mutate(context) {
    const setting = context.policy.spec.images?.pullPolicy;
    for (const ref of context.containers()) {
      mutateSetting(context, setting, pullPolicyField(ref.path, ref.container.image, ref.name));
    }
  },
  validate(context) {
    const setting = context.policy.spec.images?.pullPolicy;
    for (const ref of context.containers()) {
      validateSetting(context, setting, pullPolicyField(ref.path, ref.container.image, ref.name));
    }
  },
};
