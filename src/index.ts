/**
 * WorkloadIdentityConnection: provisions an Azure Resource Manager service connection that signs in
 * with workload identity federation, and the managed identity or app registration behind it. The
 * agent runs this file; the story of a run is src/main.ts, which the command line (src/cli.ts) shares.
 */
import { pipelineAgent } from './agent';
import { systemClock } from './clock';
import { main } from './main';
import { taskLib } from './taskLib';

export { main };

if (require.main === module) void main(pipelineAgent(taskLib), systemClock);
