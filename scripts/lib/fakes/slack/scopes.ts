// The bot scopes Slack documents for each Web API method the fake answers (docs.slack.dev/reference/
// methods). Kept apart from src/slack/api-scopes.ts on purpose: the fake enforces Slack's rules, the
// app declares what it thinks it needs, and the tests catch any disagreement.
export const SLACK_METHOD_SCOPES: Readonly<Record<string, readonly string[]>> = {
  'auth.test': [],
  'views.open': [],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.getPermalink': [],
  'users.info': ['users:read'],
  'reactions.add': ['reactions:write'],
  'files.info': ['files:read'],
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
};

/** conversations.* need the history scope of the conversation's type. */
export function historyScopeFor(channel: string): string {
  if (channel.startsWith('C')) return 'channels:history';
  if (channel.startsWith('G')) return 'groups:history';
  if (channel.startsWith('D')) return 'im:history';
  return 'mpim:history';
}
