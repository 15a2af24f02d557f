// The flags that belong to the command line itself (files, backend, help); every other flag is
// generated from OPTION_SPECS.
import { BACKENDS } from '../engine/backend-names.ts';

export interface IoFlag {
  name: 'content' | 'style' | 'output' | 'init-image' | 'weights' | 'backend' | 'log-json' | 'timelapse' | 'plot' | 'compare' | 'help' | 'version';
  short?: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** Placeholder shown in --help. */
  value?: string;
  description: string;
}

export const DEFAULT_OUTPUT = 'out.png';

export const IO_FLAGS: readonly IoFlag[] = [
  { name: 'content', type: 'string', value: 'FILE', description: 'content image (transfer and reconstruct modes)' },
  {
    name: 'style',
    type: 'string',
    multiple: true,
    value: 'FILE[,FILE…]',
    description: 'style image; repeat the flag or give a comma-separated list to blend several',
  },
  {
    name: 'output',
    short: 'o',
    type: 'string',
    value: 'FILE',
    description: `output image, .png, .jpg or .webp (default: ${DEFAULT_OUTPUT}); previews go next to it as <name>_<iter>.png`,
  },
  { name: 'init-image', type: 'string', value: 'FILE', description: 'initial image; implies --init image' },
  {
    name: 'weights',
    type: 'string',
    value: 'FILE',
    description: 'VGG-19 weights (.safetensors); default: the cached copy, downloaded on first use',
  },
  {
    name: 'backend',
    type: 'string',
    value: 'NAME',
    description: `engine backend: ${BACKENDS.join(', ')} (default: $STYLIZE_BACKEND, else auto: the fastest that starts)`,
  },
  { name: 'log-json', type: 'string', value: 'FILE', description: 'write the losses of every iteration as JSON lines' },
  {
    name: 'timelapse',
    type: 'string',
    value: 'FILE',
    description: 'an animated time-lapse of the run, .gif or .webp (looping; coarse-to-fine: every scale)',
  },
  {
    name: 'plot',
    type: 'string',
    value: 'FILE',
    description: 'a PNG chart of the content, style, TV and total loss (log scale) against the iteration',
  },
  {
    name: 'compare',
    type: 'string',
    value: 'FILE',
    description: "before/after: the inputs used and the result side by side at the result's height (.png, .jpg or .webp)",
  },
  { name: 'help', short: 'h', type: 'boolean', description: 'show this help' },
  { name: 'version', type: 'boolean', description: 'show the version' },
];
