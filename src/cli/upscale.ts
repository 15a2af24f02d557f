// `stylize upscale …`: continue a grid candidate at the full size (see grid.ts).
export { runUpscaleCommand as run } from './grid.ts';
