/** The Microsoft Graph client, in a file of its own: only the app-registration path loads it (scripts/bundle.ts). */
export { Client, MiddlewareFactory, RetryHandler } from '@microsoft/microsoft-graph-client';
