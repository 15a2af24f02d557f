// A job that names library styles (style_name, --style-name) gets their images here, at submit
// time: appended after any attached style images, with blend weights in that same order. The
// images are stored with the job's inputs, so re-runs (which carry the parent's stored images and
// its styleName) and restarts never resolve the names again.
import { parseOption } from '../options.ts';
import { blendWeights, StyleNameError, UnknownStyleError, type StyleRef } from '../styles/index.ts';
import { Refusal } from './job-rules.ts';
import type { JobSpec } from './types.ts';
import type { WorkspaceStyles } from './workspace-styles.ts';

/** The spec with the named styles' images in its inputs; unchanged when it names none or is a re-run. */
export function withNamedStyles(spec: JobSpec, styles: WorkspaceStyles): JobSpec {
  const raw = spec?.options?.styleName;
  if (raw === undefined || spec.parentJobId !== undefined) return spec;
  if (spec.kind === 'sheet' || spec.sheet !== undefined) throw new Refusal('sheets take style images, not style names');
  if (!spec.owner?.platform || typeof spec.owner.workspaceId !== 'string') return spec; // admit refuses it
  const refs: StyleRef[] = parseOption('styleName', raw) ?? [];
  const attached = Array.isArray(spec.inputs?.styles) ? spec.inputs.styles : [];
  const attachmentWeights = spec.options.styleBlend === undefined ? undefined : parseOption('styleBlend', spec.options.styleBlend);
  const library = styles.library(spec.owner.platform, spec.owner.workspaceId);
  try {
    const names = library.namesSync();
    for (const r of refs) if (!names.includes(r.name)) throw new UnknownStyleError(r.name, names);
    const images = refs.map((r) => {
      const image = library.readSync(r.name);
      if (!image) throw new UnknownStyleError(r.name, names.filter((n) => n !== r.name));
      return image;
    });
    const styleBlend = blendWeights(attached.length, refs, attachmentWeights);
    return { ...spec, inputs: { ...spec.inputs, styles: [...attached, ...images] }, options: { ...spec.options, styleName: refs, styleBlend } };
  } catch (e) {
    if (e instanceof StyleNameError) throw new Refusal(e.message);
    throw e;
  }
}
