// Discord REST requests go through the global fetch, not @discordjs/rest's default (its own undici's
// `request`). That one hands a multipart body (every upload, every edit carrying an image) as it is
// to the process's global undici dispatcher, and when the Slack adapter runs in the same process,
// @slack/socket-mode loads a newer undici first, whose Agent becomes that global dispatcher and
// cannot read the older FormData ("action is not a function"): with both platforms in one `npm
// start`, no Discord result was ever posted. fetch turns the body into bytes itself first.
import type { RESTOptions } from '@discordjs/rest';

export const discordRequest: RESTOptions['makeRequest'] = (url, init) => fetch(url, init as RequestInit);
