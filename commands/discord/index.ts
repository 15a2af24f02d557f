// Every chat command of the Discord bot, by name. The bot dispatches through this map and
// register-commands.ts registers exactly these.
import type { DiscordCommand } from '../../src/discord/context.ts';
import * as stylize from './stylize.ts';
import * as stylizeConfig from './stylize-config.ts';
import * as stylizeQueue from './stylize-queue.ts';
import * as stylizeHistory from './stylize-history.ts';
import * as stylizeSheet from './stylize-sheet.ts';
import * as stylizeShow from './stylize-show.ts';
import * as stylizeStyle from './stylize-style.ts';

const list: DiscordCommand[] = [stylize, stylizeSheet, stylizeStyle, stylizeHistory, stylizeShow, stylizeConfig, stylizeQueue];

export const commands: ReadonlyMap<string, DiscordCommand> = new Map(list.map((c) => [c.data.name, c]));

/** The JSON bodies Discord's bulk-overwrite endpoint takes. */
export function commandBodies() {
  return list.map((c) => c.data.toJSON());
}
