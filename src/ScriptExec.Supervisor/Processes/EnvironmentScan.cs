using System.Globalization;
using System.Text;

namespace ScriptExec.Supervisor.Processes;

/// <summary>
/// Finds the processes of executions by the variables every script and its descendants inherit:
/// <c>SCRIPTEXEC_EXECUTION_ID</c> and <c>SCRIPTEXEC_DAEMON_KEY</c> (which tells this daemon's executions from those of
/// another daemon on the same machine, whose ids count from 1 as well). This reaches processes that left the
/// process group or session, and processes whose pid was never recorded. Limit: a process that exec'd itself with a
/// new environment (<c>env -i</c>) no longer carries the variables; only a cgroup still holds it.
/// </summary>
public static class EnvironmentScan
{
    public const string ExecutionIdVariable = "SCRIPTEXEC_EXECUTION_ID";
    public const string DaemonKeyVariable = "SCRIPTEXEC_DAEMON_KEY";

    /// <summary>Live (non-zombie) processes, other than this one, of the given executions of the daemon <paramref name="daemonKey"/>.</summary>
    public static IReadOnlyList<(int Pid, long ExecutionId)> Find(string daemonKey, IReadOnlySet<long> executionIds)
    {
        var found = new List<(int, long)>();
        if (executionIds.Count == 0)
        {
            return found;
        }

        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && pid != Environment.ProcessId
                && ExecutionOf(pid, daemonKey) is { } id
                && executionIds.Contains(id))
            {
                found.Add((pid, id));
            }
        }

        return found;
    }

    /// <summary>The execution id <paramref name="pid"/> carries for daemon <paramref name="daemonKey"/>, or null (gone, a zombie, not ours).</summary>
    public static long? ExecutionOf(int pid, string daemonKey)
    {
        byte[] environment;
        try
        {
            // A zombie's environ reads empty: its memory is gone, and so is any work it could do.
            environment = File.ReadAllBytes($"/proc/{pid}/environ");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        long? id = null;
        var keyMatches = false;
        foreach (var range in environment.AsSpan().Split((byte)0))
        {
            var entry = environment.AsSpan(range);
            if (entry.StartsWith(ExecutionIdPrefix))
            {
                id = long.TryParse(entry[ExecutionIdPrefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
            }
            else if (entry.StartsWith(DaemonKeyPrefix))
            {
                keyMatches = entry[DaemonKeyPrefix.Length..].SequenceEqual(Encoding.ASCII.GetBytes(daemonKey));
            }
        }

        return keyMatches ? id : null;
    }

    private static ReadOnlySpan<byte> ExecutionIdPrefix => "SCRIPTEXEC_EXECUTION_ID="u8;

    private static ReadOnlySpan<byte> DaemonKeyPrefix => "SCRIPTEXEC_DAEMON_KEY="u8;
}
