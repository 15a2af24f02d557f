// Every Slack Web API method this adapter calls, with the bot scopes it needs. The manifest test
// scans src/slack and commands/slack for `client.<family>.<method>(` calls and fails when one is
// missing here, and checks that the manifest grants every scope listed: a new call cannot ship
// without its scope.

/** Methods whose scope depends on the conversation type list every variant: any one suffices per call. */
export const WEB_API_METHOD_SCOPES: Readonly<Record<string, readonly string[]>> = {
  'auth.test': [],
  // views.open needs no scope: the trigger_id of a command or action is the permission.
  'views.open': [],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  // A link to a result for /stylize-history: no scope (the bot can only link what it can see).
  'chat.getPermalink': [],
  'users.info': ['users:read'],
  'reactions.add': ['reactions:write'],
  'files.info': ['files:read'],
  // files.uploadV2 is a client-side wrapper over these two calls plus a POST to the upload URL.
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
  // Reading a message's metadata after a restart (public, private, DM, group DM).
  'conversations.replies': ['channels:history', 'groups:history', 'im:history', 'mpim:history'],
  // A job's first message posted in the channel just before a kill, looked for after the restart.
  'conversations.history': ['channels:history', 'groups:history', 'im:history', 'mpim:history'],
};

/** Client wrappers that expand into several Web API methods. */
export const WRAPPER_METHODS: Readonly<Record<string, readonly string[]>> = {
  'files.uploadV2': ['files.getUploadURLExternal', 'files.completeUploadExternal'],
};

/** Scopes needed for things that are not Web API calls. */
export const NON_METHOD_SCOPES: Readonly<Record<string, string>> = {
  commands: 'the /stylize, /stylize-sheet, /stylize-style, /stylize-history, /stylize-show and /stylize-config slash commands',
  'app_mentions:read': 'the app_mention event',
  'reactions:read': 'the reaction_added event',
  // url_private downloads with the bot token.
  'files:read': 'downloading the images users attach',
};
