using System.Globalization;

namespace ScriptExec.Supervisor.Processes;

/// <summary>The fields of <c>/proc/&lt;pid&gt;/stat</c> that supervision and recovery rely on.</summary>
internal readonly record struct ProcStat(char State, int SessionId, long StartTime)
{
    public bool IsZombie => State is 'Z' or 'X';

    /// <summary>Reads the stat line; false when the process is gone or the file cannot be read.</summary>
    public static bool TryRead(int pid, out ProcStat stat)
    {
        stat = default;
        return KernelFiles.TryReadText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat")) is { } text
            && TryParse(text, out stat);
    }

    public static bool TryParse(string text, out ProcStat stat)
    {
        stat = default;

        // The command name (field 2) is in parentheses and may itself contain spaces and ')'.
        var commEnd = text.LastIndexOf(')');
        if (commEnd < 0 || commEnd + 2 >= text.Length)
        {
            return false;
        }

        // fields[0] is field 3 (state); field n is fields[n - 3].
        var fields = text[(commEnd + 2)..].Split(' ');
        if (fields.Length < 20
            || fields[0].Length != 1
            || !int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var session)
            || !long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var startTime))
        {
            return false;
        }

        stat = new ProcStat(fields[0][0], session, startTime);
        return true;
    }
}
