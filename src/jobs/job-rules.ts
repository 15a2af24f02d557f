// The checks a job must pass before it is queued, and how its options are bounded by the
// workspace's limits. Pure functions: every refusal is a one-line message for the user.
import { planScales, type ScalePlan } from '../engine/multires.ts';
import { EngineError } from '../engine/types.ts';
import { parseOptionsInput, resolveOptions, type Mode, type OptionsInput, type StyleOptions } from '../options.ts';
import type { JobInputs, JobOwner, Limits } from './types.ts';

export const PLATFORMS = ['discord', 'slack', 'cli'] as const;
export const MAX_STYLE_IMAGES = 8;
/** Chat uploads are capped well below this; it stops a runaway caller filling the database. */
export const MAX_INPUT_BYTES = 50 * 1024 * 1024;

export class Refusal extends Error {
  override name = 'Refusal';
}

export function checkOwner(owner: JobOwner | undefined): void {
  if (!owner || typeof owner !== 'object') throw new Refusal('the job has no owner');
  if (!(PLATFORMS as readonly string[]).includes(owner.platform)) throw new Refusal(`unknown platform "${String(owner.platform)}"`);
  for (const key of ['workspaceId', 'channelId', 'userId'] as const) {
    if (typeof owner[key] !== 'string' || owner[key] === '') throw new Refusal(`the job's owner has no ${key}`);
  }
  if (owner.threadId !== undefined && typeof owner.threadId !== 'string') throw new Refusal("the job's owner has a bad threadId");
}

function asBuffer(value: unknown, what: string): Buffer {
  if (!(value instanceof Uint8Array)) throw new Refusal(`the ${what} is not image data`);
  if (value.byteLength === 0) throw new Refusal(`the ${what} is empty`);
  if (value.byteLength > MAX_INPUT_BYTES) {
    throw new Refusal(`the ${what} is ${(value.byteLength / 1048576).toFixed(1)} MB; the most a job takes is ${MAX_INPUT_BYTES / 1048576} MB per image`);
  }
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Copies the inputs into Buffers after checking their shape. */
export function checkInputs(inputs: JobInputs | undefined): JobInputs {
  if (!inputs || !Array.isArray(inputs.styles)) throw new Refusal('the job has no images');
  if (inputs.styles.length > MAX_STYLE_IMAGES) throw new Refusal(`a job takes at most ${MAX_STYLE_IMAGES} style images, got ${inputs.styles.length}`);
  const out: JobInputs = { styles: inputs.styles.map((s, i) => asBuffer(s, inputs.styles.length === 1 ? 'style image' : `style image ${i + 1}`)) };
  if (inputs.content !== undefined) out.content = asBuffer(inputs.content, 'content image');
  if (inputs.contents !== undefined) {
    if (!Array.isArray(inputs.contents)) throw new Refusal('the content images are not a list');
    if (inputs.contents.length > MAX_STYLE_IMAGES) throw new Refusal(`a job takes at most ${MAX_STYLE_IMAGES} content images, got ${inputs.contents.length}`);
    if (inputs.contents.length > 0 && out.content) throw new Refusal('give the content image either as content or in contents, not both');
    if (inputs.contents.length > 0) out.contents = inputs.contents.map((c, i) => asBuffer(c, inputs.contents!.length === 1 ? 'content image' : `content image ${i + 1}`));
  }
  return out;
}

/** What the mode and init need from the inputs. */
export function checkInputsForOptions(o: StyleOptions, inputs: JobInputs): void {
  const styles = inputs.styles.length;
  if (o.mode === 'transfer' && (!inputs.content || styles === 0)) throw new Refusal('transfer needs a content image and at least one style image');
  if (o.mode === 'texture' && styles === 0) throw new Refusal('texture needs at least one style image');
  if (o.mode === 'reconstruct' && !inputs.content) throw new Refusal('reconstruct needs a content image');
  if (o.init === 'image') throw new Refusal('init=image needs an initial image, which a job cannot take: use noise, content or style');
  if (o.init === 'content' && !inputs.content) throw new Refusal('init=content needs a content image');
  if (o.init === 'style' && styles === 0) throw new Refusal('init=style needs a style image');
  const usesStyles = o.mode !== 'reconstruct' || o.init === 'style';
  if (usesStyles && o.styleBlend && o.styleBlend.length !== styles) {
    throw new Refusal(`style-blend has ${o.styleBlend.length} weight${o.styleBlend.length === 1 ? '' : 's'} for ${styles} style image${styles === 1 ? '' : 's'}`);
  }
}

/** The sizes and iterations a job runs (several scales when coarse-to-fine); a plan that cannot run is refused. */
export function jobPlan(o: StyleOptions): ScalePlan {
  try {
    return planScales(o);
  } catch (e) {
    if (e instanceof EngineError) throw new Refusal(e.message);
    throw e;
  }
}

export function totalSteps(plan: ScalePlan): number {
  return plan.steps.reduce((a, b) => a + b, 0);
}

/**
 * Resolves the options (base < preset < admin defaults < user) and bounds them by the limits: a
 * value the user asked for above a limit is refused, naming the limit; a default above it (the
 * built-in size 512 on a workspace limited to 256, say) is lowered to it. maxSteps bounds the job's
 * iterations over all its scales.
 */
export function resolveJobOptions(user: OptionsInput, adminDefaults: OptionsInput, limits: Limits): StyleOptions {
  const explicit = parseOptionsInput(user ?? {});
  const options = resolveOptions(user ?? {}, adminDefaults);
  if (options.size > limits.maxSize) {
    if (explicit.size !== undefined || explicit.scales !== undefined) {
      throw new Refusal(`size ${options.size} is over this workspace's limit of ${limits.maxSize} px (maxSize); ask for ${limits.maxSize} or less`);
    }
    options.size = limits.maxSize;
  }
  const plan = jobPlan(options);
  const total = totalSteps(plan);
  if (total > limits.maxSteps) {
    const asked = explicit.steps !== undefined || explicit.scaleSteps !== undefined || explicit.scales !== undefined || explicit.multires !== undefined;
    if (asked || options.scaleSteps) {
      const how = plan.steps.length > 1 && !options.scaleSteps ? ` (${options.steps} at each of ${plan.steps.length} scales)` : '';
      throw new Refusal(`steps ${total}${how} is over this workspace's limit of ${limits.maxSteps} steps (maxSteps); ask for fewer`);
    }
    options.steps = Math.floor(limits.maxSteps / plan.steps.length);
  }
  return options;
}

/** The options a re-run starts from: the parent's, in another mode, with init chosen again for that mode. */
export function rerunOptions(parent: StyleOptions, mode: Mode): OptionsInput {
  const { init: _init, mode: _mode, ...rest } = parent;
  return { ...rest, mode };
}

/** The parent's inputs a mode uses: texture only the styles, reconstruct only the content. */
export function rerunInputs(inputs: JobInputs, mode: Mode): JobInputs {
  if (mode === 'texture') return { styles: inputs.styles };
  if (mode === 'reconstruct') return inputs.content ? { content: inputs.content, styles: [] } : { styles: [] };
  return inputs;
}

/** Previews every options.saveEvery iterations; 0 means about every 10% so chat shows progress. */
export function previewEvery(o: StyleOptions): number {
  return o.saveEvery > 0 ? o.saveEvery : Math.max(1, Math.round(o.steps / 10));
}
