// Every Slack listener, one per file (as in Bolt's samples), registered on the app.
import type { App } from '@slack/bolt';
import { CANCEL_ACTION_ID, RESULT_ACTION_PREFIX } from '../../src/slack/messages.ts';
import type { SlackDeps } from '../../src/slack/context.ts';
import { STYLIZE_MODAL_CALLBACK } from '../../src/slack/modal.ts';
import { GRID_ACTION_PREFIX } from '../../src/slack/grid-buttons.ts';
import { SHEET_MODAL_CALLBACK } from '../../src/slack/sheet-modal.ts';
import { STYLE_MODAL_CALLBACK } from '../../src/slack/style-modal.ts';
import { appMention } from './app-mention.ts';
import { cancelButton } from './cancel-button.ts';
import { gridButton } from './grid-button.ts';
import { reactionAdded } from './reaction-added.ts';
import { resultButton } from './result-button.ts';
import { stylizeCommand } from './stylize.ts';
import { stylizeConfig } from './stylize-config.ts';
import { stylizeHistoryCommand } from './stylize-history.ts';
import { stylizeModalSubmit } from './stylize-modal-submit.ts';
import { stylizeSheetCommand } from './stylize-sheet.ts';
import { stylizeSheetModalSubmit } from './stylize-sheet-modal-submit.ts';
import { stylizeShowCommand } from './stylize-show.ts';
import { stylizeStyleCommand } from './stylize-style.ts';
import { stylizeStyleModalSubmit } from './stylize-style-modal-submit.ts';

export function registerSlackListeners(app: App, deps: SlackDeps): void {
  app.command('/stylize', stylizeCommand(deps));
  app.view(STYLIZE_MODAL_CALLBACK, stylizeModalSubmit(deps));
  app.command('/stylize-sheet', stylizeSheetCommand(deps));
  app.view(SHEET_MODAL_CALLBACK, stylizeSheetModalSubmit(deps));
  app.command('/stylize-style', stylizeStyleCommand(deps));
  app.view(STYLE_MODAL_CALLBACK, stylizeStyleModalSubmit(deps));
  app.command('/stylize-history', stylizeHistoryCommand(deps));
  app.command('/stylize-show', stylizeShowCommand(deps));
  app.event('app_mention', appMention(deps));
  app.event('reaction_added', reactionAdded(deps));
  app.command('/stylize-config', stylizeConfig(deps));
  app.action(CANCEL_ACTION_ID, cancelButton(deps));
  app.action(new RegExp(`^${RESULT_ACTION_PREFIX}`), resultButton(deps));
  app.action(new RegExp(`^${GRID_ACTION_PREFIX}`), gridButton(deps));
}
