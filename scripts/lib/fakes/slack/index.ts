export { FakeSlack, type FakeSlackOptions } from './server.ts';
export { HttpTransport, SlackRequests, SocketTransport, slackSignature, type Delivery, type SentRequest, type SignOptions, type Transport } from './requests.ts';
export { fillModalView, validateModalView, type ModalAnswer } from './modal-ui.ts';
export { SLACK_METHOD_SCOPES } from './scopes.ts';
export type * from './types.ts';
