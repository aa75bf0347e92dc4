/**
 * Bad input that needs the world: each request below is wrong in one way, by what the agent hands over, the
 * world it names, or a permission it lacks. Each run fails before its first write (the emulator's write log
 * holds nothing new) with one line that names the input or the missing permission and says what would fix it.
 * A value that is wrong by itself (a name, a URL, a pick-list value) is refused by parseRequest before any
 * client exists; those cases are the unit tests of src/request.ts and src/requestAccess.ts, in the same words.
 */
import { strict as assert } from 'node:assert';
import { type EmulatorOptions } from '../support/emulator';
import { addFederatedCredential, createIdentity, identityPath } from '../support/admin';
import { failed, MANAGED_IDENTITY, succeeded } from '../support/scenarios';
import { run } from './runs';
import { Emulator } from './harness';

interface BadInput {
  title: string;
  /** Inputs over the standard request (MANAGED_IDENTITY.inputs). */
  inputs?: (emulator: Emulator) => Record<string, string>;
  /** Environment of the task process over the agent's, for what the agent hands over wrongly. */
  env?: (emulator: Emulator) => Record<string, string>;
  /** A world of its own. */
  options?: EmulatorOptions;
  /** Arranges the world first (its writes are not the failing run's). */
  setup?: (emulator: Emulator) => Promise<void>;
  message: RegExp;
}

const fixed = (inputs: Record<string, string>) => () => inputs;
const endpoint = (emulator: Emulator) => emulator.world.bootstrap.connectionId;

const CASES: BadInput[] = [
  // ---- what the agent hands over ------------------------------------------------------------------------
  {
    title: 'a bootstrap connection with an unsupported scheme',
    env: (emulator) => ({
      [`ENDPOINT_AUTH_${endpoint(emulator)}`]: JSON.stringify({
        scheme: 'UsernamePassword',
        parameters: { tenantid: emulator.world.tenantId, serviceprincipalid: emulator.world.bootstrap.clientId },
      }),
      [`ENDPOINT_AUTH_SCHEME_${endpoint(emulator)}`]: 'UsernamePassword',
    }),
    message: /^Input 'bootstrapConnection' uses the authentication scheme 'UsernamePassword'\. Supported schemes are: .*WorkloadIdentityFederation/,
  },
  {
    title: 'a bootstrap connection without a service principal id',
    env: (emulator) => ({
      [`ENDPOINT_AUTH_${endpoint(emulator)}`]: JSON.stringify({ scheme: 'WorkloadIdentityFederation', parameters: { tenantid: emulator.world.tenantId } }),
    }),
    message: /^Input 'bootstrapConnection' has no tenant id or service principal id/,
  },
  {
    title: 'a bootstrap connection whose Entra authority is plain http',
    env: (emulator) => ({ [`ENDPOINT_DATA_${endpoint(emulator)}_ACTIVEDIRECTORYAUTHORITY`]: 'http://login.example/' }),
    message: /^Input 'bootstrapConnection' has the authority 'http:\/\/login\.example\/'; Entra ID is only reached over https/,
  },
  {
    title: 'a job without an access token',
    env: () => ({
      ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({ scheme: 'OAuth', parameters: {} }),
      ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: '',
    }),
    message: /^Input 'organizationUrl' cannot be reached: the job has no access token.*Allow scripts to access the OAuth token/,
  },
  {
    title: 'a job without an OIDC request URI',
    env: () => ({ SYSTEM_OIDCREQUESTURI: '' }),
    message: /^Input 'bootstrapConnection' uses workload identity federation, but the job has no System\.OidcRequestUri/,
  },

  // ---- a world that does not hold what the request names --------------------------------------------
  {
    title: 'a subscription the bootstrap identity cannot see',
    inputs: fixed({ subscriptionId: '6a3bd2a6-0b65-4b8b-9f0e-7a3b1d3f8c11' }),
    message: /^Input 'subscriptionId' names a subscription the bootstrap connection's identity cannot see/,
  },
  {
    title: 'a missing identity resource group',
    inputs: fixed({ identityResourceGroup: 'rg-missing' }),
    message: /^Input 'identityResourceGroup' names the resource group 'rg-missing', which does not exist in subscription .*; create it first/,
  },
  {
    title: 'a missing role scope resource group',
    inputs: fixed({ resourceGroup: 'rg-nope' }),
    message: /^Input 'resourceGroup' names the resource group 'rg-nope', which does not exist/,
  },
  {
    title: 'an unknown role name',
    inputs: fixed({ roleDefinitionName: 'Superhero' }),
    message: /^Input 'roleDefinitionName' names 'Superhero', which is not a role that can be assigned at .*; use a role name such as Contributor/,
  },
  {
    title: 'an unknown role GUID',
    inputs: fixed({ roleDefinitionName: '00000000-0000-0000-0000-00000000abcd' }),
    message: /^Input 'roleDefinitionName' names '00000000-0000-0000-0000-00000000abcd', which is not a role/,
  },
  {
    title: 'a region without user-assigned identities',
    inputs: fixed({ identityLocation: 'atlantis' }),
    message: /^Input 'identityLocation' 'atlantis' is not a region where subscription .* offers user-assigned managed identities; use one of westeurope/,
  },
  {
    title: 'an unknown project name',
    inputs: fixed({ project: 'no-such-project' }),
    message: /^Input 'project' names 'no-such-project', which does not exist in the organization or is not visible/,
  },
  { title: 'an unknown project id', inputs: fixed({ project: '9d2b7c1e-4f6a-4b8e-a1c3-5e7f9b0d2c4a' }), message: /^Input 'project' names '9d2b7c1e-/ },
  {
    title: 'an organization that does not exist',
    inputs: (emulator) => ({ organizationUrl: `${emulator.urls.devops}fabrikam/` }),
    message:
      /^Input 'organizationUrl' 'https:\/\/127\.0\.0\.1:\d+\/fabrikam\/' is not an Azure DevOps organization this job can reach; use this pipeline's organization/,
  },

  // ---- names held by what belongs to someone else ---------------------------------------------------
  {
    title: 'a connection name held by a connection of another identity',
    inputs: fixed({ connectionName: 'platform-bootstrap' }),
    message:
      /^Could not reuse the service connection 'platform-bootstrap': the service connection 'platform-bootstrap' in project 'platform' uses WorkloadIdentityFederation with client id '[0-9a-f-]+', not the identity this task provisions\. Pick another connectionName/,
  },
  {
    title: "a connection name that exists, with existingConnection 'fail'",
    inputs: fixed({ connectionName: 'platform-bootstrap', existingConnection: 'fail' }),
    message: /a service connection named 'platform-bootstrap' already exists in project 'platform'\. Set existingConnection to 'reuse'/,
  },
  {
    title: 'an identity name held by an identity of another connection',
    setup: async (emulator) => succeeded(await run(emulator, { ...MANAGED_IDENTITY.inputs, connectionName: 'app1-test', identityName: 'id-shared' })),
    inputs: fixed({ identityName: 'id-shared' }),
    message:
      /^Could not use the managed identity 'id-shared': the managed identity 'id-shared' in 'rg-identities' belongs to the connection 'contoso\/[0-9a-f-]+\/app1-test'\. Choose another identityName/,
  },

  {
    title: 'a roleAssignments line whose scope cannot be reached names the input and its line (issue 24, class 12)',
    inputs: fixed({ roleAssignments: '# shared\nReader@resourceGroups/rg-identities\nReader@/providers/Microsoft.Management/managementGroups/mg-nope' }),
    message:
      /^Input 'roleAssignments' line 3: Could not find the role 'Reader' at \/providers\/Microsoft\.Management\/managementGroups\/mg-nope: .*\(HTTP 403, AuthorizationFailed, .*\)\. Check the scope of line 3 of roleAssignments: it does not exist, or the bootstrap connection's identity may not read roles there/,
  },
  ...[false, true].map((dryRun): BadInput => ({
    title: `an untagged identity of the default name that holds Entra ID's 20 federated credentials${dryRun ? ', in a dry run' : ''} (issue 24, class 4)`,
    setup: async (emulator) => {
      await createIdentity(emulator, 'rg-identities', 'id-app1-dev');
      const identity = identityPath(emulator, 'rg-identities', 'id-app1-dev');
      for (let i = 0; i < 20; i++)
        await addFederatedCredential(emulator, identity, `github-${i}`, 'https://token.actions.githubusercontent.com', `repo:contoso/app:${i}`);
    },
    inputs: fixed(dryRun ? { dryRun: 'true' } : {}),
    message:
      /^Could not add the connection's federated credential to managed identity 'id-app1-dev': managed identity 'id-app1-dev' already holds 20 federated credentials, the most Entra ID allows \(20\)\. Before any write: remove a federated credential it no longer needs .*, or set identityName to give this connection an identity of its own; then re-run the task$/,
  })),

  // ---- permissions the preflight finds missing --------------------------------------------------------
  {
    title: 'a bootstrap identity that may not assign roles (Contributor only)',
    options: { bootstrapRoles: ['Contributor'] },
    message:
      /^Permission check failed before any write: the bootstrap connection's identity lacks Microsoft\.Authorization\/roleAssignments\/write at \/subscriptions\/.*\/resourceGroups\/rg-app1-dev \(assign it Role Based Access Control Administrator, User Access Administrator or Owner on that scope\)\. Nothing was written/,
  },
  {
    title: 'a bootstrap identity that may not create identities (Role Based Access Control Administrator only)',
    options: { bootstrapRoles: ['Role Based Access Control Administrator'] },
    message:
      /^Permission check failed before any write: the bootstrap connection's identity lacks Microsoft\.ManagedIdentity\/userAssignedIdentities\/write at .*\/rg-identities \(assign it Managed Identity Contributor or Contributor on resource group 'rg-identities'\); .*federatedIdentityCredentials\/write/,
  },
  {
    title: 'a bootstrap identity that may only read (Reader)',
    options: { bootstrapRoles: ['Reader'] },
    message: /^Permission check failed before any write: .*userAssignedIdentities\/write.*; .*roleAssignments\/write/,
  },
  {
    title: 'a pipeline identity that may use but not create service connections (User role)',
    options: { buildServiceRole: 'User' },
    message:
      /^Permission check failed before any write: the pipeline's build service identity lacks the Creator role on service connections in project 'platform' \(add it as Creator/,
  },
  {
    title: 'a pipeline identity that must update a connection it is not Administrator of',
    setup: async (emulator) => {
      const first = await run(emulator, MANAGED_IDENTITY.inputs);
      succeeded(first);
      emulator.changeConnection(first.outputs.serviceConnectionId, { creator: 'platformAdmin' });
    },
    inputs: fixed({ connectionDescription: 'App 1, development' }),
    message:
      /^Permission check failed before any write: the pipeline's build service identity lacks the Administrator role on the service connection 'app1-dev', which this run must update/,
  },
];

describe('a bad request fails before any write, in one line that names the input or permission and the fix', function () {
  this.timeout(60_000);
  let shared: Emulator;

  before(async () => {
    shared = await Emulator.start();
  });
  after(async () => {
    await shared.stop();
  });

  it(`covers at least 20 cases that need the world (${CASES.length})`, () => assert.ok(CASES.length >= 20));

  for (const bad of CASES) {
    it(bad.title, async () => {
      const own = bad.options || bad.setup ? await Emulator.start(bad.options) : undefined;
      const emulator = own ?? shared;
      try {
        await bad.setup?.(emulator);
        const writesBefore = emulator.writes().length;
        const outcome = await run(emulator, { ...MANAGED_IDENTITY.inputs, ...(bad.inputs?.(emulator) ?? {}) }, { env: bad.env?.(emulator) });
        failed(outcome, bad.message);
        assert.equal(emulator.writes().length, writesBefore, 'the run wrote nothing');
      } finally {
        await own?.stop();
      }
    });
  }
});
