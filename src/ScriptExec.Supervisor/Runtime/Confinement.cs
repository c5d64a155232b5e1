namespace ScriptExec.Supervisor.Runtime;

/// <summary>
/// What confines a run here: rlimits (util-linux prlimit and nice found), and whether each run gets its own cgroup
/// (cgroup v2, writable, with <c>cgroup.kill</c>), and the controllers that cgroup offers. Limits through the memory,
/// pids and cpu controllers are not applied yet: runs are confined by rlimits and killed whole through the cgroup.
/// </summary>
public sealed record Confinement(bool Rlimits, bool Cgroup, IReadOnlyList<string> Controllers);
