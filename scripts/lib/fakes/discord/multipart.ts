// Parses the request bodies discord.js sends: JSON, or multipart/form-data with `payload_json`
// and `files[n]` parts. undici's Response does the multipart parsing, so boundaries, quoting and
// binary parts follow the same spec as the client that produced them.

export interface UploadedFile {
  field: string;
  name: string;
  contentType: string;
  data: Buffer;
}

export interface ParsedBody {
  json: unknown;
  files: UploadedFile[];
}

export async function parseBody(raw: Buffer, contentType: string | undefined): Promise<ParsedBody> {
  if (raw.length === 0) return { json: undefined, files: [] };
  const ct = contentType ?? '';
  if (ct.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': ct } }).formData();
    let json: unknown;
    const files: UploadedFile[] = [];
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') {
        if (field === 'payload_json') json = JSON.parse(value);
        continue;
      }
      files.push({ field, name: value.name, contentType: value.type, data: Buffer.from(await value.arrayBuffer()) });
    }
    return { json, files };
  }
  if (ct.startsWith('application/json')) return { json: JSON.parse(raw.toString('utf8')), files: [] };
  return { json: raw.toString('utf8'), files: [] };
}
