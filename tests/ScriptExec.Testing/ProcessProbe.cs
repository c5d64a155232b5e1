using System.Diagnostics;

namespace ScriptExec.Testing;

/// <summary>
/// Looks at processes through /proc, the way an operator would with <c>ps</c>. A zombie counts as gone: it runs
/// nothing, and whether it is reaped depends on this machine's PID 1, not on the daemon.
/// </summary>
public static class ProcessProbe
{
    /// <summary>True while <paramref name="pid"/> exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        // The command name (field 2) is in parentheses and may contain spaces or ')'; the state follows the last ')'.
        var commEnd = stat.LastIndexOf(')');
        var state = commEnd >= 0 && commEnd + 2 < stat.Length ? stat[commEnd + 2] : 'X';
        return state is not ('Z' or 'X');
    }

    /// <summary>The names of <paramref name="pid"/>'s threads (<c>/proc/PID/task/*/comm</c>), as <c>ps -T</c> lists them.</summary>
    public static List<string> ThreadNames(int pid) =>
        [.. Directory.EnumerateDirectories($"/proc/{pid}/task").Select(task => File.ReadAllText(Path.Combine(task, "comm")).Trim())];

    /// <summary>Polls until <paramref name="condition"/> holds; false if it still does not at the deadline.</summary>
    public static Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan timeout) =>
        Eventually.TryAsync(() => Task.FromResult(condition()), timeout);

    /// <summary>Polls until <paramref name="pid"/> is gone or a zombie; false if it is still running at the deadline.</summary>
    public static Task<bool> WaitUntilGoneAsync(int pid, TimeSpan timeout) => EventuallyAsync(() => !IsAlive(pid), timeout);

    /// <summary>Best-effort SIGKILL for test teardown, so a failing test leaves nothing running.</summary>
    public static void KillIfAlive(int pid)
    {
        if (pid <= 1 || pid == Environment.ProcessId || !IsAlive(pid))
        {
            return;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone in the meantime.
        }
    }
}
