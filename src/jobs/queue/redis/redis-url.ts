// Redis URLs carry their password (redis://user:secret@host): every log line and error message
// that names the server goes through redactRedisUrl.

/** The URL with its user name kept and its password replaced; unparsable input is hidden whole. */
export function redactRedisUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '[redis url]';
  }
  if (u.password) u.password = '***';
  return u.toString();
}

/** Removes any occurrence of the URL's password from a message (ioredis errors may echo it). */
export function redactSecretIn(message: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    return message.split(url).join('[redis url]');
  }
  let out = message.split(url).join(redactRedisUrl(url));
  if (password) out = out.split(password).join('***');
  return out;
}
