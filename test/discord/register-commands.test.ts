import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ApplicationCommandOptionType, InteractionContextType, PermissionFlagsBits } from 'discord.js';
import { CHAT_OPTION_SPECS } from '../../src/chat/chat-options.ts';
import { BOT_PERMISSIONS, inviteUrl, invitePermissions, registerCommands } from '../../src/discord/register-commands.ts';
import { FakeDiscord } from '../../scripts/lib/fakes/discord/index.ts';

interface CommandOption {
  name: string;
  type: number;
  required?: boolean;
  autocomplete?: boolean;
  choices?: { name: string; value: string }[];
  min_value?: number;
  max_value?: number;
  options?: CommandOption[];
}
interface CommandBody {
  name: string;
  options?: CommandOption[];
  default_member_permissions?: string | null;
  contexts?: number[];
}

describe('inviteUrl', () => {
  test('asks for exactly the bot + applications.commands scopes and the listed permissions', () => {
    const url = new URL(inviteUrl('123456789012345678'));
    expect(url.origin + url.pathname).toBe('https://discord.com/oauth2/authorize');
    expect(url.searchParams.get('client_id')).toBe('123456789012345678');
    expect(url.searchParams.get('scope')!.split(' ').sort()).toEqual(['applications.commands', 'bot']);
    const perms = BigInt(url.searchParams.get('permissions')!);
    const expected =
      PermissionFlagsBits.ViewChannel |
      PermissionFlagsBits.SendMessages |
      PermissionFlagsBits.SendMessagesInThreads |
      PermissionFlagsBits.CreatePublicThreads |
      PermissionFlagsBits.AttachFiles |
      PermissionFlagsBits.AddReactions |
      PermissionFlagsBits.ReadMessageHistory |
      PermissionFlagsBits.EmbedLinks;
    expect(perms).toBe(expected);
    expect(perms & PermissionFlagsBits.Administrator).toBe(0n);
    expect(invitePermissions()).toBe(expected);
    expect(BOT_PERMISSIONS.every((p) => p.why.length > 0)).toBe(true);
  });

  test('refuses an application id that is not a snowflake', () => {
    expect(() => inviteUrl('my-bot')).toThrow(/numeric/);
  });
});

describe('registerCommands against the fake Discord', () => {
  let fake: FakeDiscord;
  beforeAll(async () => {
    fake = await FakeDiscord.start();
  });
  afterAll(async () => {
    await fake.stop();
  });

  test('guild registration: one bulk PUT with the generated commands', async () => {
    const n = await registerCommands({ token: fake.token, applicationId: fake.appId, guildId: fake.guildId, apiUrl: fake.apiUrl });
    expect(n).toBe(7);
    const put = fake.requests.find((r) => r.method === 'PUT' && r.path === `/applications/${fake.appId}/guilds/${fake.guildId}/commands`)!;
    expect(put.headers.authorization).toBe(`Bot ${fake.token}`);
    const commands = put.body as CommandBody[];
    expect(commands.map((c) => c.name).sort()).toEqual(['stylize', 'stylize-config', 'stylize-history', 'stylize-queue', 'stylize-sheet', 'stylize-show', 'stylize-style']);

    const stylize = commands.find((c) => c.name === 'stylize')!;
    const byName = new Map(stylize.options!.map((o) => [o.name, o]));
    for (const name of ['content', 'style']) {
      expect(byName.get(name)).toMatchObject({ type: ApplicationCommandOptionType.Attachment });
      expect(byName.get(name)!.required ?? false).toBe(false);
    }
    // Every chat option of the schema is there, with its choices and range.
    for (const spec of CHAT_OPTION_SPECS) {
      const o = byName.get(spec.chat!)!;
      expect(o, spec.chat).toBeDefined();
      if (spec.choices) expect(o.choices!.map((c) => c.value)).toEqual(spec.choices.filter((c) => !(spec.key === 'init' && c === 'image')));
      if (spec.kind === 'int') expect(o).toMatchObject({ type: ApplicationCommandOptionType.Integer, min_value: spec.min, max_value: spec.max });
      if (spec.kind === 'number') expect(o).toMatchObject({ type: ApplicationCommandOptionType.Number, min_value: spec.min, max_value: spec.max });
      if (spec.kind === 'boolean') expect(o.type).toBe(ApplicationCommandOptionType.Boolean);
    }
    expect(stylize.options!.length).toBe(2 + CHAT_OPTION_SPECS.length);
    // Library names are completed as typed; the old name original_colors is not offered (colors is).
    expect(byName.get('style_name')).toMatchObject({ type: ApplicationCommandOptionType.String, autocomplete: true });
    expect(byName.has('original_colors')).toBe(false);
    expect(byName.get('colors')!.choices!.map((c) => c.value)).toEqual(['style', 'keep', 'palette']);

    // /stylize-style save | list | remove; remove completes the names the caller may remove.
    const style = commands.find((c) => c.name === 'stylize-style')!;
    expect(style.options!.map((o) => o.name)).toEqual(['save', 'list', 'remove']);
    const save = style.options!.find((o) => o.name === 'save')!;
    expect(save.options!.map((o) => [o.name, o.type, o.required])).toEqual([
      ['name', ApplicationCommandOptionType.String, true],
      ['image', ApplicationCommandOptionType.Attachment, true],
    ]);
    expect(style.options!.find((o) => o.name === 'remove')!.options![0]).toMatchObject({ name: 'name', required: true, autocomplete: true });
    expect(commands.find((c) => c.name === 'stylize-show')!.options![0]).toMatchObject({ name: 'job', required: true, autocomplete: true });
    expect(stylize.contexts?.sort()).toEqual([InteractionContextType.Guild, InteractionContextType.BotDM].sort());

    // /stylize-sheet: the kind first (required), three images per role, layers, and a few run options.
    const sheet = commands.find((c) => c.name === 'stylize-sheet')!;
    expect(sheet.options![0]).toMatchObject({ name: 'kind', type: ApplicationCommandOptionType.String, required: true });
    expect(sheet.options![0].choices!.map((c) => c.value)).toEqual(['reconstruct', 'texture', 'init', 'grid']);
    expect(sheet.options!.slice(1).map((o) => o.name)).toEqual(['content', 'content2', 'content3', 'style', 'style2', 'style3', 'layers', 'combo', 'preset', 'size', 'steps', 'seed']);
    expect(sheet.options!.slice(1, 7).every((o) => o.type === ApplicationCommandOptionType.Attachment && !o.required)).toBe(true);
    expect(sheet.options!.find((o) => o.name === 'steps')).toMatchObject({ type: ApplicationCommandOptionType.Integer, min_value: 0 });

    const config = commands.find((c) => c.name === 'stylize-config')!;
    expect(config.default_member_permissions).toBe(PermissionFlagsBits.ManageGuild.toString());
    expect(config.contexts).toEqual([InteractionContextType.Guild]);
    const set = config.options!.find((o) => o.name === 'set')!;
    expect(set.type).toBe(ApplicationCommandOptionType.Subcommand);
    expect(set.options!.find((o) => o.name === 'option')).toMatchObject({ required: true, autocomplete: true });
  });

  test('global registration without a guild id', async () => {
    await registerCommands({ token: fake.token, applicationId: fake.appId, apiUrl: fake.apiUrl });
    expect(fake.commands.get('global')).toHaveLength(7);
  });

  test('a wrong token is a clear error', async () => {
    await expect(registerCommands({ token: 'nope', applicationId: fake.appId, apiUrl: fake.apiUrl })).rejects.toThrow(/401|Unauthorized/);
  });
});
