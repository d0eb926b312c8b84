/**
 * The Redis Cluster the cluster suites run on: `REDIS_CLUSTER_NODES`, a comma list of `host:port`
 * seeds (`.ci/run` starts three masters on 127.0.0.1:7000-7002 and sets it).
 *
 * Without it the suites are a visible "todo" locally and a failing test when `CI` is set, so a CI
 * run can never pass by silently skipping them. (Same contract as the other services' helper; kept
 * apart so the two can be unified.)
 */
export function redisClusterNodes(): string[] | undefined {
  const raw = process.env.REDIS_CLUSTER_NODES?.trim();
  if (!raw) return undefined;
  return raw
    .split(',')
    .map((node) => node.trim())
    .filter((node) => node.length > 0);
}

const NEEDS = 'needs REDIS_CLUSTER_NODES (a Redis Cluster; .ci/run starts one and sets it)';

/** `describe(name, body)` with the cluster's seeds, or a visible todo (a failure under CI) without them. */
export function describeWithRedisCluster(name: string, body: (nodes: string[]) => void): void {
  const nodes = redisClusterNodes();
  if (nodes !== undefined) {
    describe(name, () => body(nodes));
    return;
  }
  describe(name, () => {
    if (process.env.CI) {
      it(NEEDS, () => {
        throw new Error(`${name}: REDIS_CLUSTER_NODES is not set, and CI must run the Redis Cluster suites.`);
      });
    } else {
      it.todo(NEEDS);
    }
  });
}
