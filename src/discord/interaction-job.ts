// What /stylize and /stylize-sheet both derive from the slash-command interaction when queueing a
// job: the owner, the meta that lets the job view (and a restarted bot) find the conversation again,
// and the payload view of an attachment that is checked and downloaded.
import type { Attachment, ChatInputCommandInteraction } from 'discord.js';
import type { JobOwner } from '../jobs/types.ts';
import type { AttachmentInfo } from './input-images.ts';
import type { DiscordJobMeta } from './job-meta.ts';

export function attachmentInfo(a: Attachment): AttachmentInfo {
  return { name: a.name, url: a.url, size: a.size, contentType: a.contentType, width: a.width, height: a.height };
}

/** DMs have no guild: they share one 'dm' workspace (settings, limits). */
export function interactionOwner(interaction: ChatInputCommandInteraction): JobOwner {
  return { platform: 'discord', workspaceId: interaction.guildId ?? 'dm', channelId: interaction.channelId, userId: interaction.user.id };
}

export function interactionMeta(interaction: ChatInputCommandInteraction): DiscordJobMeta {
  return {
    ...(interaction.guildId ? { guildId: interaction.guildId } : {}),
    channelId: interaction.channelId,
    interactionAt: interaction.createdTimestamp,
    ...(interaction.attachmentSizeLimit > 0 ? { uploadLimitBytes: interaction.attachmentSizeLimit } : {}),
  };
}
