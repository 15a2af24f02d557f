// A finished grid's Block Kit buttons on Slack: U1–U4 upscale a candidate to the requested size,
// V1–V4 make a new grid around it (action_id stylize_grid_u2, value = the grid's job id; pressing
// them: grid-actions.ts).
import type { types } from '@slack/bolt';
import type { GridPick } from '../jobs/types.ts';

export const GRID_ACTION_PREFIX = 'stylize_grid_';

export function gridActionId(action: GridPick['action'], index: number): string {
  return `${GRID_ACTION_PREFIX}${action === 'upscale' ? 'u' : 'v'}${index + 1}`;
}

export function parseGridActionId(actionId: string): GridPick | undefined {
  const m = /^stylize_grid_([uv])([1-4])$/.exec(actionId);
  return m ? { action: m[1] === 'u' ? 'upscale' : 'vary', index: Number(m[2]) - 1 } : undefined;
}

export function pickLabel(pick: GridPick): string {
  return `${pick.action === 'upscale' ? 'U' : 'V'}${pick.index + 1}`;
}

/** Two actions blocks: U1–U4 (primary), then V1–V4. */
export function gridActionsBlocks(jobId: string): types.ActionsBlock[] {
  const block = (action: GridPick['action']): types.ActionsBlock => ({
    type: 'actions',
    block_id: `stylize_grid_${action}`,
    elements: [0, 1, 2, 3].map((index) => ({
      type: 'button' as const,
      action_id: gridActionId(action, index),
      text: { type: 'plain_text' as const, text: pickLabel({ action, index }) },
      value: jobId,
      ...(action === 'upscale' ? { style: 'primary' as const } : {}),
    })),
  });
  return [block('upscale'), block('vary')];
}
