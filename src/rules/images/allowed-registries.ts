import { matchesRegistryPattern } from '../../k8s/images.js';
import type { Rule } from '../rule.js';
import { readContainerImage, unreadableImageFinding } from './shared.js';

export const imagesAllowedRegistries: Rule = {
  id: 'images-allowed-registries',
  section: 'images',
  title: 'Allowed image registries',
  description:
    'Every container and init container image must come from a registry the policy allows (host globs with optional path prefixes). An image that names no registry is pulled from docker.io, which the check treats as such.',
  kinds: ['CronJob', 'Job', 'Pod'],
  enabled: (spec) => spec.images?.allowedRegistries !== undefined,
  validate(context) {
    const allowed = context.policy.spec.images?.allowedRegistries ?? [];
    const allowedText = allowed.join(', ');
    for (const ref of context.containers()) {
      const image = readContainerImage(ref);
      if (image.state !== 'valid') {
        context.report(unreadableImageFinding(ref, image, 'registry'));
        continue;
      }
      const { reference } = image;
      if (allowed.some((pattern) => matchesRegistryPattern(reference, pattern))) continue;
      const registry = reference.implicitRegistry
        ? `${reference.registry}, implied because the image names no registry`
        : reference.registry;
      context.report({
        path: image.path,
        message: `container "${ref.name}" image "${image.image}" (registry ${registry}; repository ${reference.repository}) matches no allowed registry: ${allowedText}`,
        fix: `push the image to an allowed registry (${allowedText}) and reference it by that registry's name`,
        container: ref.name,
      });
    }
  },
};
