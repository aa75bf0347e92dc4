/**
 * The Entra and ARM client libraries: most of the task's code, bundled into a file of their own
 * (scripts/bundle.ts) that src/clients/arm.ts loads once the first requests have left, so a process starts by
 * parsing only what those need. (The Azure DevOps client, plain REST over core-rest-pipeline, stays in
 * index.js: the first Azure DevOps reads go out at once, with the job's token, beside the request for the
 * pipeline's OIDC token.)
 */
export {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
} from '@azure/identity';
export { ManagedServiceIdentityClient } from '@azure/arm-msi';
export { AuthorizationManagementClient } from '@azure/arm-authorization';
export { ServiceClient } from '@azure/core-client';
