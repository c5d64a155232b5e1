using System.Text;

namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>
/// The live processes that carry a variable in their environment, read from <c>/proc/*/environ</c> as an operator
/// would. Each test gives its scripts a variable of its own, so daemons of other tests on the machine (whose
/// execution ids also count from 1) never match.
/// </summary>
internal static class TaggedProcesses
{
    public const string Variable = "FAULT_TEST_TAG";

    /// <summary>Live processes with <c>FAULT_TEST_TAG=<paramref name="tag"/></c>, of execution <paramref name="executionId"/> if given.</summary>
    public static IReadOnlyList<int> Alive(string tag, long? executionId = null)
    {
        var wanted = Encoding.UTF8.GetBytes($"{Variable}={tag}");
        var execution = executionId is { } id ? Encoding.UTF8.GetBytes($"SCRIPTEXEC_EXECUTION_ID={id}") : null;
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            byte[] environment;
            try
            {
                environment = File.ReadAllBytes(Path.Combine(directory, "environ"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            var entries = environment.AsSpan();
            var tagged = false;
            var ofExecution = execution is null;
            foreach (var range in entries.Split((byte)0))
            {
                tagged |= entries[range].SequenceEqual(wanted);
                ofExecution |= execution is not null && entries[range].SequenceEqual(execution);
            }

            if (tagged && ofExecution && ProcessProbe.IsAlive(pid))
            {
                found.Add(pid);
            }
        }

        return found;
    }

    /// <summary>Teardown: whatever a failed test left running goes.</summary>
    public static void KillAll(string tag)
    {
        foreach (var pid in Alive(tag))
        {
            ProcessProbe.KillIfAlive(pid);
        }
    }
}
