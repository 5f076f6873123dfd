import { effectiveTag } from '../../k8s/images.js';
import type { Rule } from '../rule.js';
import { readContainerImage, unreadableImageFinding } from './shared.js';

export const imagesDisallowLatest: Rule = {
  id: 'images-disallow-latest',
  section: 'images',
  title: 'Images tagged latest or untagged',
  description:
    'Every container and init container image must carry a version tag other than latest, or a digest. An image without a tag means latest, which can point at a different image on every run, and makes Kubernetes default imagePullPolicy to Always, so a registry outage fails the run.',
  kinds: ['CronJob', 'Job', 'Pod'],
  enabled: (spec) => spec.images?.disallowLatest === true,
  validate(context) {
    for (const ref of context.containers()) {
      const image = readContainerImage(ref);
      if (image.state !== 'valid') {
        context.report(unreadableImageFinding(ref, image, 'tag'));
        continue;
      }
      const { reference } = image;
      const tag = effectiveTag(reference);
      // A digest pins the content whatever the tag says (`app:latest@sha256:…` is pinned).
      if (reference.digest !== undefined || tag !== 'latest') continue;
      const repository = image.image.slice(
        0,
        image.image.length - (reference.tag === undefined ? 0 : reference.tag.length + 1),
      );
      context.report({
        path: image.path,
        message:
          reference.tag === undefined
            ? `container "${ref.name}" image "${image.image}" has no tag or digest, which means ${repository}:latest, so each run may pull a different image`
            : `container "${ref.name}" image "${image.image}" uses the latest tag, so each run may pull a different image`,
        fix: `pin the image to a version tag or a digest: ${repository}:<version> or ${repository}@sha256:<digest>`,
        container: ref.name,
      });
    }
  },
};
