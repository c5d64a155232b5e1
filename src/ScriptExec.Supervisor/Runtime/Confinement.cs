namespace ScriptExec.Supervisor.Runtime;

/// <summary>
/// What confines a run here: rlimits (util-linux prlimit and nice found); whether each run gets its own cgroup v2
/// (writable, with <c>cgroup.kill</c>) that tracks and kills all of it; and the controllers through which the
/// limits <c>memory_mb</c>, <c>pids</c> and <c>cpu_percent</c> are enforced, each with the hierarchy it lives in
/// (<c>"v2"</c> or <c>"v1"</c>).
/// </summary>
public sealed record Confinement(
    bool Rlimits, bool Cgroup, IReadOnlyList<string> Controllers, IReadOnlyDictionary<string, string> ControllerHierarchies);
