export { FakeDiscord, type RecordedRequest, type SlashOption, type InteractionContext } from './server.ts';
export { type FakeAttachment, type FakeMessage, type FakeUser, snowflake } from './payloads.ts';
export { type UploadedFile } from './multipart.ts';
