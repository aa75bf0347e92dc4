/**
 * Nothing lost: the task never deletes anything, never removes a credential or role assignment it finds,
 * and never changes a resource that belongs to another connection. What it finds beside its own
 * resources comes out of every run exactly as it went in.
 */
import { strict as assert } from 'node:assert';
import { addFederatedCredential, assignRole, BUILT_IN, createConnection, createIdentity, identityPath } from '../support/admin';
import { useConnection } from '../support/useConnection';
import { assertNothingDeleted, MANAGED_IDENTITY, succeeded } from '../support/scenarios';
import { run } from './runs';
import { Emulator } from './harness';

const inputs = MANAGED_IDENTITY.inputs;
const GITHUB = { issuer: 'https://token.actions.githubusercontent.com', subject: 'repo:contoso/app1:environment:dev' };

describe('nothing lost', function () {
  this.timeout(60_000);
  let emulator: Emulator;

  beforeEach(async () => {
    emulator = await Emulator.start();
  });
  afterEach(async () => {
    assertNothingDeleted(emulator);
    await emulator.stop();
  });

  const identityOf = (name: string) => emulator.state().identities.find((i) => i.name === name)!;
  const credentialsOf = (name: string) =>
    emulator.state().federatedCredentials.filter((c) => c.id.toLowerCase().startsWith(`${identityOf(name).id.toLowerCase()}/`));
  const grantsOf = (principalId: string) => emulator.state().roleAssignments.filter((a) => a.properties.principalId === principalId);

  it("keeps a credential and a role assignment someone added to the connection's identity, through a re-run and an update", async () => {
    const first = await run(emulator, inputs);
    succeeded(first);
    const identity = identityOf('id-app1-dev');
    await addFederatedCredential(emulator, identity.id, 'github-app1-dev', GITHUB.issuer, GITHUB.subject);
    await assignRole(emulator, `/subscriptions/${emulator.world.subscriptionId}`, identity.properties.principalId, BUILT_IN.reader);
    const added = { credentials: credentialsOf('id-app1-dev'), grants: grantsOf(identity.properties.principalId) };

    succeeded(await run(emulator, inputs));
    succeeded(await run(emulator, { ...inputs, connectionDescription: 'App 1, development' }));

    assert.deepEqual(credentialsOf('id-app1-dev'), added.credentials, 'both credentials, unchanged');
    assert.deepEqual(grantsOf(identity.properties.principalId), added.grants, 'both role assignments, unchanged');
    assert.equal((await useConnection(emulator, first.outputs.serviceConnectionId)).status, 200);
  });

  it('adds the grant of a new scope and leaves the grant of the old one (removing access is for a person to decide)', async () => {
    succeeded(await run(emulator, inputs));
    const identity = identityOf('id-app1-dev');
    const before = grantsOf(identity.properties.principalId);

    const rescoped = await run(emulator, { ...inputs, resourceGroup: '' });
    succeeded(rescoped);
    const after = grantsOf(identity.properties.principalId);
    assert.equal(after.length, 2, 'the old grant and the new one');
    assert.deepEqual(
      after.filter((a) => before.some((b) => b.id === a.id)),
      before,
      'the old grant is untouched',
    );
    assert.ok(after.some((a) => a.properties.scope.toLowerCase() === `/subscriptions/${emulator.world.subscriptionId}`.toLowerCase()));
    const connection = emulator.state().serviceConnections.find((c) => c.name === 'app1-dev')!;
    assert.equal(connection.authorization.parameters.scope, undefined, 'the connection now targets the subscription');
  });

  it('uses an untagged identity someone named on purpose as it is: its tags and credentials stay', async () => {
    await createIdentity(emulator, 'rg-identities', 'id-team-app1', { owner: 'team-app1' });
    const path = identityPath(emulator, 'rg-identities', 'id-team-app1');
    await addFederatedCredential(emulator, path, 'github-app1', GITHUB.issuer, GITHUB.subject);
    const before = { identity: identityOf('id-team-app1'), credentials: credentialsOf('id-team-app1') };

    const outcome = await run(emulator, { ...inputs, identityName: 'id-team-app1' });
    succeeded(outcome);
    assert.deepEqual(identityOf('id-team-app1'), before.identity, 'the identity, its tags included, is unchanged');
    const credentials = credentialsOf('id-team-app1');
    assert.equal(credentials.length, 2, 'its credential and ours');
    assert.ok(
      before.credentials.every((c) => credentials.some((d) => JSON.stringify(d) === JSON.stringify(c))),
      'its credential is unchanged',
    );
    assert.equal(outcome.outputs.clientId, before.identity.properties.clientId);
  });

  it('finds the grant a person already made under another name, and adds no second one (RoleAssignmentExists)', async () => {
    const identity = await createIdentity(emulator, 'rg-identities', 'id-team-app1');
    const scope = `/subscriptions/${emulator.world.subscriptionId}/resourceGroups/rg-app1-dev`;
    await assignRole(emulator, scope, identity.principalId, BUILT_IN.contributor);
    const before = grantsOf(identity.principalId);

    const outcome = await run(emulator, { ...inputs, identityName: 'id-team-app1' });
    succeeded(outcome);
    assert.match(outcome.stdout, /Kept: role 'Contributor'/);
    assert.deepEqual(grantsOf(identity.principalId), before, 'the one grant, as the person made it');
  });

  it('never touches another connection that uses the same identity', async () => {
    const identity = await createIdentity(emulator, 'rg-identities', 'id-shared');
    const legacy = await createConnection(emulator, 'app1-dev-legacy', identity.clientId, 'made by hand');
    const before = emulator.state().serviceConnections.find((c) => c.id === legacy.id);

    succeeded(await run(emulator, { ...inputs, identityName: 'id-shared' }));
    succeeded(await run(emulator, { ...inputs, identityName: 'id-shared', connectionDescription: 'changed' }));
    assert.deepEqual(
      emulator.state().serviceConnections.find((c) => c.id === legacy.id),
      before,
    );
  });

  it('refuses an identity that serves another connection, and leaves it, its credentials and grants as they are', async () => {
    succeeded(await run(emulator, { ...inputs, connectionName: 'app1-test', identityName: 'id-app1-test' }));
    const before = emulator.state();

    const refused = await run(emulator, { ...inputs, identityName: 'id-app1-test' });
    assert.equal(refused.result, 'Failed');
    assert.match(refused.message ?? '', /belongs to the connection '.*\/app1-test'/);
    assert.deepEqual(emulator.state(), before, 'the world is exactly as it was');
  });
});
