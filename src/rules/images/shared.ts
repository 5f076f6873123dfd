import { parseImageReference, type ImageReference } from '../../k8s/images.js';
import type { ContainerRef } from '../../k8s/workload.js';
import type { PointerSegment } from '../../util/json-pointer.js';

/** What a container's `image` field holds, read defensively (inputs are untrusted). */
export type ContainerImage =
  | { state: 'missing' }
  | { state: 'invalid'; path: readonly PointerSegment[]; detail: string }
  | { state: 'valid'; path: readonly PointerSegment[]; image: string; reference: ImageReference };

export function readContainerImage(ref: ContainerRef): ContainerImage {
  const image = ref.container.image;
  // null decodes to "" on the API server, which then rejects the container for a missing image.
  if (image === undefined || image === null) return { state: 'missing' };
  const path = [...ref.path, 'image'];
  if (typeof image !== 'string')
    return { state: 'invalid', path, detail: `must be a string, got ${JSON.stringify(image)}` };
  const parsed = parseImageReference(image);
  if ('error' in parsed)
    return {
      state: 'invalid',
      path,
      detail: `${JSON.stringify(image)} is not a valid image reference: ${parsed.error}`,
    };
  return { state: 'valid', path, image, reference: parsed };
}

/**
 * The finding for an image a rule cannot judge. A missing image is common when
 * linting a Kustomize patch or a Helm values fragment instead of rendered output.
 */
export function unreadableImageFinding(
  ref: ContainerRef,
  image: Exclude<ContainerImage, { state: 'valid' }>,
  what: string,
): { path: readonly PointerSegment[]; message: string; fix: string; container: string } {
  if (image.state === 'missing') {
    return {
      path: ref.path,
      message: `container "${ref.name}" has no image, so its ${what} cannot be checked (lint rendered manifests, e.g. kustomize build output, not patches)`,
      fix: `set image on container "${ref.name}", e.g. registry.example.com/app:1.4.2`,
      container: ref.name,
    };
  }
  return {
    path: image.path,
    message: `container "${ref.name}" image ${image.detail}`,
    fix: 'write image as [registry/]repository[:tag][@sha256:<digest>], e.g. registry.example.com/app:1.4.2',
    container: ref.name,
  };
}
