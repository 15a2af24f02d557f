// Refusals are ephemeral: only the person who asked sees them, and the channel stays clean.
import { MessageFlags, type ChatInputCommandInteraction, type RepliableInteraction } from 'discord.js';
import { logger } from '../log.ts';
import { describeError } from './discord-io.ts';

/** Answers with an ephemeral one-liner, whether or not the interaction was deferred publicly. */
export async function refuse(interaction: RepliableInteraction | ChatInputCommandInteraction, content: string): Promise<void> {
  try {
    if (interaction.deferred || interaction.replied) {
      // A public "thinking…" reply cannot turn ephemeral: remove it and answer privately.
      if (!interaction.ephemeral) await interaction.deleteReply().catch(() => undefined);
      await interaction.followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    } else {
      await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    }
  } catch (e) {
    logger.warn({ err: describeError(e) }, 'could not answer an interaction');
  }
}

/** An ephemeral answer that is not a refusal (lists, confirmations). */
export async function answerPrivately(interaction: RepliableInteraction, content: string): Promise<void> {
  await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}
